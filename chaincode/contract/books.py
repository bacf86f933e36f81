"""The bank's books on chain: attestations of the books' token liability, and DDA links for the connector."""

from __future__ import annotations

from chaincode import access, domain
from chaincode.access import Role
from chaincode.contract._tx import Handlers, Tx, done
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import (
    Attest,
    AttestationList,
    DdaLinkView,
    Event,
    EventType,
    GetDdaLink,
    ListAttestations,
)


async def attest(tx: Tx, args: Attest) -> dict[str, object]:
    """BankMSP treasury: records what the books hold, for anyone on the channel to check against the chain.

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_CURRENCY).
    """
    access.require_role(tx.caller, Role.TREASURY)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    await tx.books.currency(args.currency)  # one the ledger issues (UNKNOWN_CURRENCY)
    attestation = domain.books.Attestation(
        args.currency, args.balance, args.as_of_block, args.statement_sha256, tx.books.tx_id, tx.books.timestamp
    )
    await tx.books.put_attestation(attestation)
    references = {"as_of_block": str(args.as_of_block)}
    if args.statement_sha256 is not None:
        references["statement_sha256"] = args.statement_sha256
    event = Event(
        EventType.BALANCE_ATTESTED, tx.books.tx_id, args.request_id, (), args.currency, args.balance, references
    )
    return await done(tx, args.request_id, event)


async def list_attestations(tx: Tx, args: ListAttestations) -> AttestationList:
    """The see-all roles (issuer, compliance, auditor, treasury). Raises ContractError(UNAUTHORIZED)."""
    access.require_role(tx.caller, *access.SEE_ALL_ROLES)
    return {
        "attestations": [
            {
                "currency": a.currency,
                "balance": a.balance,
                "as_of_block": a.as_of_block,
                "statement_sha256": a.statement_sha256,
                "tx_id": a.tx_id,
                "timestamp": a.timestamp,
            }
            for a in await tx.books.attestations()
        ]
    }


async def get_dda_link(tx: Tx, args: GetDdaLink) -> DdaLinkView:
    """The see-all roles: the token account a DDA's fundings mint to. Raises ContractError(UNAUTHORIZED,
    UNKNOWN_DDA)."""
    access.require_role(tx.caller, *access.SEE_ALL_ROLES)
    account_id = await tx.books.dda_account(args.dda)
    if account_id is None:
        raise ContractError(ErrorCode.UNKNOWN_DDA, f"no account links to dda {args.dda}")
    return {"dda": args.dda, "account_id": account_id}


HANDLERS: Handlers = {Attest: attest, ListAttestations: list_attestations, GetDdaLink: get_dda_link}

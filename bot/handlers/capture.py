"""/new (guided or in one message), shared contacts, and the duplicate check before saving."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import CRMContext
from bot.domain.contacts import CaptureError, InvalidPhone, parse_capture
from bot.domain.models import CustomerKind
from bot.handlers.common import button_data, message_text, persistent_conversation, reply, show
from bot.handlers.customers import show_card
from bot.services.customers import CustomerDraft
from bot.services.errors import DuplicateFound, FieldProblems
from bot.views import actions
from bot.views import capture as views
from bot.views.capture import STEPS

NAME = "capture"
# One state per step (in STEPS order), then the confirmation and the field picker.
STEP_STATES = dict(zip(STEPS, range(len(STEPS)), strict=True))
CONFIRM, EDIT_PICK = len(STEPS), len(STEPS) + 1
DRAFT = "capture_draft"
PENDING = "capture_pending"


def _draft(context: CRMContext) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    draft: dict[str, Any] = data.setdefault(DRAFT, {})
    return draft


def to_draft(data: dict[str, Any]) -> CustomerDraft:
    """A stored (JSON) draft as the service's input."""
    return CustomerDraft(
        name=data["name"],
        company=data.get("company"),
        # Not asked (one message) or skipped: a customer with a company is a company.
        kind=CustomerKind(data["kind"]) if data.get("kind") else (
            CustomerKind.B2B if data.get("company") else CustomerKind.B2C
        ),
        phones=tuple(data.get("phones", ())),
        emails=tuple(data.get("emails", ())),
        telegram_username=data.get("telegram_username"),
        source=data.get("source"),
        city=data.get("city"),
    )


async def new(update: Update, context: CRMContext) -> int:
    """/new: with text, capture in one message; alone, start the guided capture."""
    text = message_text(update).partition(" ")[2].strip()
    if text:
        await _one_message(update, context, text)
        return ConversationHandler.END
    context.user_data[DRAFT] = {}  # type: ignore[index]
    await reply(update, *views.prompt("name", context._))
    return STEP_STATES["name"]


async def _one_message(update: Update, context: CRMContext, text: str) -> None:
    try:
        parts = parse_capture(text, context.settings.default_phone_region)
    except CaptureError as exc:
        problems = [(p.field, p.text) for p in exc.problems]
        await reply(update, actions.field_problems(problems, context._))
        return
    draft: dict[str, Any] = {
        "name": parts.name,
        "company": parts.company,
        "phones": list(parts.phones),
        "emails": list(parts.emails),
        "telegram_username": parts.username,
    }
    if parts.extra:
        draft["source"] = ", ".join(parts.extra)
    await _save(update, context, draft)


async def _save(update: Update, context: CRMContext, draft: dict[str, Any], *,
                force: bool = False) -> bool:
    try:
        customer = await context.crm.customers.capture(
            actor=context.me, draft=to_draft(draft), force=force
        )
    except DuplicateFound as exc:
        context.user_data[PENDING] = draft  # type: ignore[index]
        await show(update, *views.duplicates(exc.matches, context._))
        return False
    (context.user_data or {}).pop(PENDING, None)
    if update.callback_query is not None:
        await show(update, views.created(context._))
    await show_card(update, context, customer.id)
    return True


async def step_text(update: Update, context: CRMContext) -> int:
    """A typed answer to the current step: validate, store, go on (or ask again)."""
    draft = _draft(context)
    step = draft.get("_step", "name")
    text = message_text(update).strip()
    service = context.crm.customers
    try:
        if step == "kind":
            await reply(update, *views.prompt("kind", context._))
            return STEP_STATES["kind"]
        value = service.parse_field(step, text)
    except FieldProblems as exc:
        await reply(update, actions.field_problems(exc.problems, context._))
        return STEP_STATES[step]
    draft[step] = list(value) if isinstance(value, tuple) else value
    return await _next(update, context, step)


async def step_button(update: Update, context: CRMContext) -> int:
    """Skip, or a type chosen with its button."""
    draft = _draft(context)
    step = draft.get("_step", "name")
    data = button_data(update)
    if data.startswith("cap:kind:"):
        draft["kind"] = data.rsplit(":", 1)[1]
    return await _next(update, context, step)


async def _next(update: Update, context: CRMContext, step: str) -> int:
    draft = _draft(context)
    if draft.pop("_editing", False) or step == STEPS[-1]:
        draft.pop("_step", None)
        await show(update, *views.confirm(draft, context._))
        return CONFIRM
    following = STEPS[STEPS.index(step) + 1]
    draft["_step"] = following
    await show(update, *views.prompt(following, context._))
    return STEP_STATES[following]


async def confirm_button(update: Update, context: CRMContext) -> int:
    """Save / Edit / Cancel under the confirmation card."""
    choice = button_data(update).split(":")[1]
    if choice == "edit":
        await show(update, *views.edit_pick(context._))
        return EDIT_PICK
    draft = (context.user_data or {}).pop(DRAFT, {})
    if choice == "cancel" or "name" not in draft:
        await show(update, actions.cancelled(context._))
        return ConversationHandler.END
    await _save(update, context, draft)
    return ConversationHandler.END


async def edit_field(update: Update, context: CRMContext) -> int:
    """A field picked for change: ask it again, then back to the confirmation."""
    step = button_data(update).split(":")[2]
    draft = _draft(context)
    draft.update(_step=step, _editing=True)
    await show(update, *views.prompt(step, context._))
    return STEP_STATES[step]


async def cancel(update: Update, context: CRMContext) -> int:
    """/cancel: drop the draft."""
    (context.user_data or {}).pop(DRAFT, None)
    await reply(update, actions.cancelled(context._))
    return ConversationHandler.END


async def force(update: Update, context: CRMContext) -> None:
    """'Create anyway' under a duplicate warning."""
    draft = (context.user_data or {}).get(PENDING)
    if not draft:
        await show(update, views.nothing_pending(context._))
        return
    await _save(update, context, draft, force=True)


async def drop_pending(update: Update, context: CRMContext) -> None:
    """Cancel under a duplicate warning or a contact offer."""
    (context.user_data or {}).pop(PENDING, None)
    await show(update, actions.cancelled(context._))


async def contact(update: Update, context: CRMContext) -> None:
    """A shared contact: open the customer with that phone, or offer to create one."""
    message = update.message
    shared = message.contact if message is not None else None
    if shared is None:
        return
    try:
        phone = context.crm.customers.parse_phone(shared.phone_number)
    except InvalidPhone:
        await reply(update, views.contact_invalid(shared.phone_number, context._))
        return
    existing = await context.crm.customers.by_phone(actor=context.me, phone=phone)
    if existing:
        await reply(update, views.contact_exists(context._))
        await show_card(update, context, existing[0].id)
        return
    name = " ".join(p for p in (shared.first_name, shared.last_name) if p)
    draft = {"name": name, "phones": [phone], "kind": CustomerKind.B2C.value}
    context.user_data[PENDING] = draft  # type: ignore[index]
    await reply(update, *views.contact_offer(draft, context._))


async def contact_create(update: Update, context: CRMContext) -> None:
    """'Create customer' under a shared contact (still checked for duplicates)."""
    draft = (context.user_data or {}).get(PENDING)
    if not draft:
        await show(update, views.nothing_pending(context._))
        return
    await _save(update, context, draft)


def conversation() -> ConversationHandler[CRMContext]:
    """The guided /new (persistent: a restart mid-way keeps the answers so far)."""
    typed = MessageHandler(filters.TEXT & ~filters.COMMAND, step_text)
    skip = CallbackQueryHandler(step_button, pattern=r"^cap:(skip|kind:b2[bc])$")
    states: dict[object, list[Any]] = {state: [typed, skip] for state in STEP_STATES.values()}
    states[CONFIRM] = [CallbackQueryHandler(confirm_button, pattern=r"^cap:(save|edit|cancel)$")]
    states[EDIT_PICK] = [CallbackQueryHandler(edit_field, pattern=r"^cap:f:\w+$")]
    return persistent_conversation(
        NAME,
        entry_points=[CommandHandler("new", new, filters.ChatType.PRIVATE)],
        states=states,
        cancel=cancel,
    )


HANDLERS = [
    CallbackQueryHandler(force, pattern=r"^dup:force$"),
    CallbackQueryHandler(drop_pending, pattern=r"^dup:cancel$"),
    CallbackQueryHandler(contact_create, pattern=r"^ct:create$"),
    MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact),
]

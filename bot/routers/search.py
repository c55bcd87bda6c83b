"""/search with its pages edited in place (◀ Prev, Next ▶, the sort toggle), and /who."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.context import BotServices
from bot.presenters.people import WhoProfile, WhoWatch, people_list, person_profile, who_usage
from bot.presenters.search import EXPIRED, GO, SORT, PageView, SearchNav, search_page, search_usage
from bot.replies import answer, edit
from bot.search_sessions import SearchSession, SearchSessions, with_sort
from bot.ui import Reply
from core.domain.search import SearchPage
from services.enrichment.people import WatchedPeople
from services.search.person import is_exact_ref

PEOPLE_LIMIT = 20


def search_router(sessions: SearchSessions | None = None) -> Router:
    """The search feature; ``sessions`` keeps paged searches (a fresh store by default)."""
    router = Router(name="search")
    store = sessions if sessions is not None else SearchSessions()

    @router.message(Command("search"))
    async def cmd_search(message: Message, command: CommandObject, services: BotServices) -> None:
        query = (command.args or "").strip()
        if not query:
            await answer(message, search_usage())
            return
        page = await services.search.search_messages(query, limit=services.page_size)
        session = store.open(query, page.sort, page.next_cursor)
        await answer(message, _page_reply(session, 1, page, services))

    @router.callback_query(SearchNav.filter())
    async def on_search_button(
        query: CallbackQuery, callback_data: SearchNav, services: BotServices
    ) -> None:
        session = store.get(callback_data.token)
        if session is None or not isinstance(query.message, Message):
            await query.answer(EXPIRED)
            return
        if callback_data.action == SORT:
            reply = await _resorted(store, session, services)
        elif callback_data.action == GO and session.knows(callback_data.page):
            reply = await _turned(session, callback_data.page, services)
        else:
            await query.answer(EXPIRED)
            return
        await edit(query.message, reply)
        await query.answer()

    @router.message(Command("who"))
    async def cmd_who(message: Message, command: CommandObject, services: BotServices) -> None:
        text = (command.args or "").strip()
        if not text:
            reply = who_usage()
        elif is_exact_ref(text):
            reply = person_profile(await services.search.person(text), services.tz)
        else:
            people = await services.search.search_people(text, limit=PEOPLE_LIMIT)
            reply = people_list(text, people)
        await answer(message, reply)

    @router.callback_query(WhoProfile.filter())
    async def on_profile_button(
        query: CallbackQuery, callback_data: WhoProfile, services: BotServices
    ) -> None:
        profile = await services.search.person(str(callback_data.user_id))
        if isinstance(query.message, Message):
            await answer(query.message, person_profile(profile, services.tz))
        await query.answer()

    @router.callback_query(WhoWatch.filter())
    async def on_watch_button(
        query: CallbackQuery, callback_data: WhoWatch, services: BotServices
    ) -> None:
        await WatchedPeople(services.db).set_watched(callback_data.user_id, callback_data.on)
        profile = await services.search.person(str(callback_data.user_id))
        if isinstance(query.message, Message):
            await edit(query.message, person_profile(profile, services.tz))
        await query.answer("Change alerts on" if callback_data.on else "Change alerts off")

    return router


async def _turned(session: SearchSession, number: int, services: BotServices) -> Reply:
    """Page ``number`` of the session's search (one the session has a cursor for)."""
    page = await services.search.search_messages(
        session.query, cursor=session.cursor(number), limit=services.page_size
    )
    session.shown(number, page.next_cursor)
    return _page_reply(session, number, page, services)


async def _resorted(store: SearchSessions, session: SearchSession, services: BotServices) -> Reply:
    """Page one of the same search in the other order (a search of its own, new token)."""
    query = with_sort(session.query, session.other_sort)
    page = await services.search.search_messages(query, limit=services.page_size)
    resorted = store.open(query, page.sort, page.next_cursor)
    return _page_reply(resorted, 1, page, services)


def _page_reply(
    session: SearchSession, number: int, page: SearchPage, services: BotServices
) -> Reply:
    has_next = session.has_next(number)
    view = PageView(
        query=session.query,
        token=session.token,
        number=number,
        page_size=services.page_size,
        has_next=has_next,
        capped=page.next_cursor is not None and not has_next,
    )
    return search_page(page, view, services.tz)

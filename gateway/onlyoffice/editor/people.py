"""Who a user may mention: Confluence's people search as that user, cached briefly.

The editor asks for the user list at every `@` typed (and again per page of results), so each
answer is kept for a few seconds, per browser credentials (a hash of them, as the identity cache
keys them): one user never gets a list Confluence made for another. The editor then names the
people of a mention by the `email` it was given; DC exposes no e-mail addresses, so that id is
the e-mail where Confluence sends one and the username otherwise. Ids handed out are remembered
(per user, for an hour) so a mention resolves to the same person; an id not remembered here (an
expired entry, another replica) is looked up as a username, as that same user.
"""

from __future__ import annotations

from gateway.confluence.client import ConfluenceClient, UserCredentials
from gateway.confluence.models import People, Person
from gateway.ttl_cache import TtlCache

__all__ = ["PeopleDirectory", "mention_id"]


def mention_id(person: Person) -> str:
    """What the editor gets as `email` and sends back in `onRequestSendNotify`'s `emails`."""
    return person.email or person.username


class PeopleDirectory:
    def __init__(self, *, ttl: float = 10.0, remember: float = 3600.0, max_entries: int = 5_000) -> None:
        self._searches: TtlCache[tuple[str, str, int, int], People] = TtlCache(ttl, max_entries)
        self._people: TtlCache[tuple[str, str], Person] = TtlCache(ttl, max_entries)
        self._handed_out: TtlCache[tuple[str, str], Person] = TtlCache(remember, max_entries * 10)

    def _remember(self, fingerprint: str, people: list[Person]) -> None:
        for person in people:
            self._handed_out.put((fingerprint, mention_id(person)), person)

    async def search(
        self, client: ConfluenceClient, credentials: UserCredentials, text: str, start: int, limit: int
    ) -> People:
        """One page of Confluence's people search as the user (cached `ttl` seconds)."""
        fingerprint = credentials.fingerprint()
        key = (fingerprint, text.casefold(), start, limit)
        found = self._searches.get(key)
        if found is None:
            found = await client.search_people(text, credentials, start=start, limit=limit)
            self._searches.put(key, found)
        self._remember(fingerprint, found.people)
        return found

    async def by_key(
        self, client: ConfluenceClient, credentials: UserCredentials, user_key: str
    ) -> Person | None:
        """One user by user key (the editor's `id`), as the user may see them (cached `ttl`)."""
        key = (credentials.fingerprint(), "key:" + user_key)
        cached = self._people.get(key)
        if cached is not None:
            return cached
        person = await client.person(credentials, key=user_key)
        if person is not None:
            self._people.put(key, person)
        return person

    async def resolve(
        self, client: ConfluenceClient, credentials: UserCredentials, mentioned: str
    ) -> Person | None:
        """The person a mention id names, for this user: one they were shown, else a username."""
        fingerprint = credentials.fingerprint()
        person = self._handed_out.get((fingerprint, mentioned))
        if person is not None:
            return person
        person = await client.person(credentials, username=mentioned)
        if person is not None and mention_id(person) == mentioned:
            self._remember(fingerprint, [person])
            return person
        return None

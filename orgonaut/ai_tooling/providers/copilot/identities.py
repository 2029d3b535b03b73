"""GitHub's SAML external identities (GraphQL), decoded: the organisation's `nameId` (usually the corporate
e-mail) per GitHub user id, a page of 100 at a time. Reference: the `externalIdentities` connection of an
organisation's `samlIdentityProvider` (https://docs.github.com/en/graphql/reference/objects)."""

from __future__ import annotations

import msgspec

from orgonaut.ai_tooling.providers import vendor_http

SAML_QUERY = """query($login: String!, $after: String) {
  organization(login: $login) {
    samlIdentityProvider {
      externalIdentities(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { samlIdentity { nameId } user { login databaseId } } }
      }
    }
  }
}"""


def parse_identities(body: bytes) -> tuple[dict[int, str], str | None, str | None]:
    """(user id -> nameId, the next page's cursor, why there are none) of a GraphQL answer."""
    answer = vendor_http.decode(body, _GraphQl)
    if answer.errors:
        return {}, None, vendor_http.CONTROL.sub(" ", answer.errors[0].message or "an error").strip()[:200]
    organization = answer.data.organization if answer.data else None
    provider = organization.samlIdentityProvider if organization else None
    if provider is None:
        return {}, None, "the organisation has no SAML single sign-on"
    found = {}
    for edge in provider.externalIdentities.edges:
        node = edge.node
        if node.user is not None and node.user.databaseId and node.samlIdentity and node.samlIdentity.nameId:
            found[node.user.databaseId] = node.samlIdentity.nameId.strip().lower()
    info = provider.externalIdentities.pageInfo
    return found, (info.endCursor if info.hasNextPage and info.endCursor else None), None


class _SamlIdentity(msgspec.Struct):
    nameId: str | None = None  # noqa: N815


class _User(msgspec.Struct):
    login: str | None = None
    databaseId: int | None = None  # noqa: N815


class _Node(msgspec.Struct):
    samlIdentity: _SamlIdentity | None = None  # noqa: N815
    user: _User | None = None


class _Edge(msgspec.Struct):
    node: _Node


class _PageInfo(msgspec.Struct):
    hasNextPage: bool = False  # noqa: N815
    endCursor: str | None = None  # noqa: N815


class _Identities(msgspec.Struct):
    edges: list[_Edge]
    pageInfo: _PageInfo = msgspec.field(default_factory=_PageInfo)  # noqa: N815


class _Provider(msgspec.Struct):
    externalIdentities: _Identities  # noqa: N815


class _Organization(msgspec.Struct):
    samlIdentityProvider: _Provider | None = None  # noqa: N815


class _Data(msgspec.Struct):
    organization: _Organization | None = None


class _GraphQlError(msgspec.Struct):
    message: str | None = None
    type: str | None = None


class _GraphQl(msgspec.Struct):
    data: _Data | None = None
    errors: list[_GraphQlError] | None = None

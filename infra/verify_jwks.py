"""An independent verifier: PyJWT checks a Gatehouse access token from what the API publishes
alone (the discovery document and the JWKS): signature, kid, iss, aud, exp. Then it checks that
a wrong audience, a wrong issuer and a tampered payload are refused.

usage: verify_jwks.py BASE_URL TOKEN ISSUER AUDIENCE
"""

import base64
import json
import sys
import urllib.request

import jwt


def main() -> None:
    base, token, issuer, audience = sys.argv[1:5]
    with urllib.request.urlopen(f"{base}/.well-known/openid-configuration") as response:
        discovery = json.load(response)
    assert discovery["issuer"] == issuer, discovery
    header = jwt.get_unverified_header(token)
    assert header["alg"] in discovery["id_token_signing_alg_values_supported"], (header, discovery)
    client = jwt.PyJWKClient(discovery["jwks_uri"])
    key = client.get_signing_key_from_jwt(token)  # by the token's kid
    assert key.key_id == header["kid"], (key.key_id, header)
    options = {"require": ["exp", "iat", "iss", "aud", "sub"]}
    claims = jwt.decode(
        token, key.key, algorithms=[key.algorithm_name], audience=audience, issuer=issuer, options=options
    )
    for what, kwargs in [
        ("wrong audience", {"audience": "someone-else", "issuer": issuer}),
        ("wrong issuer", {"audience": audience, "issuer": "https://someone-else.example"}),
    ]:
        try:
            jwt.decode(token, key.key, algorithms=[key.algorithm_name], options=options, **kwargs)
        except jwt.InvalidTokenError:
            pass
        else:
            raise AssertionError(f"{what} was accepted")
    head, payload, signature = token.split(".")
    tampered_claims = dict(claims, sub="999999")
    tampered = ".".join(
        [head, base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).rstrip(b"=").decode(), signature]
    )
    try:
        jwt.decode(tampered, key.key, algorithms=[key.algorithm_name], audience=audience, issuer=issuer)
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a tampered token was accepted")
    print(f"PyJWT: {header['alg']} token of kid {header['kid']} verified from {discovery['jwks_uri']} (iss, aud, exp)")


if __name__ == "__main__":
    main()

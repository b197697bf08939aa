"""Loopback services that speak the protocols of the clouds jupyter_qcred serves (IBM Quantum, Rigetti QCS, IonQ,
Amazon Braket's STS, Quantinuum Nexus), for tests, the demo and binder.

Standalone on purpose (tornado, the standard library and ``cryptography`` only): it imports nothing else from
``jupyter_qcred``, so it can fake the clouds for any version of the package under test.  Start it with
``python -m jupyter_qcred.sandbox [--tls]`` or, from Python, with :class:`jupyter_qcred.sandbox.client.Sandbox`
(pytest fixtures in :mod:`support.sandbox_fixtures`).

Services (``{http}`` is the plain base; QCS parts live on ``{https}`` when ``--tls`` is on, else on ``{http}``):

- QCS OIDC issuer ``{https}/oauth2/sandbox``: ``.well-known/openid-configuration``, ``v1/token`` (refresh_token,
  client_credentials, authorization_code (+PKCE), device_code), ``v1/device/authorize``, ``v1/authorize`` (login
  page), ``v1/userinfo``, ``v1/keys``; device activation page ``{http}/activate`` (a page for browsers: plain http
  on loopback is a secure context, the private CA is not trusted there).
- QCS API ``{https}/qcs/v1/...``: ``auth:getUser``, ``users/{idpId}/groups``, ``users/{id}/balance``,
  ``groups/{name}/balance``.
- IBM legacy auth ``{http}/ibm/api``: ``version``, ``users/loginWithToken``, ``users/me``; ``{http}/ibm/runtime-api/
  Network``.
- IBM Cloud IAM ``{http}/identity/token``; Qiskit Runtime ``{http}/experimental/backends[/{name}/configuration|
  properties|status]``, ``instances/usage``.
- Admin ``{http}/_sandbox/``: ``log``, ``faults``, ``config``, ``scenarios`` (:mod:`.scenarios`), ``qcs/issue``,
  ``qcs/revoke``, ``qcs/device/approve``, ``qcs/users``, ``qcs/clients``, ``ibm/users``, ``ibm/revoke``, ``state``,
  ``credentials``, ``shutdown``, ``health``.

Fault endpoint names: ``qcs_discovery``, ``qcs_token``, ``qcs_device``, ``qcs_authorize``, ``qcs_userinfo``,
``qcs_jwks``, ``qcs_activate``, ``qcs_user``, ``qcs_groups``, ``qcs_balance``, ``qcs_processors``, ``iam``,
``ibm_version``, ``ibm_login``, ``ibm_me``, ``ibm_network``, ``runtime`` (a family prefix like ``qcs`` or ``ibm``
matches all).
"""

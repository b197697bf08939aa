"""Protocol parts every provider composes (none of them is a provider, none imports one):

- :mod:`.claims`, :mod:`.times`: a JWT's claims and lifetime, read without verifying it (the QCS token command's
  fast path imports :mod:`.claims`, so this package's ``__init__`` imports nothing);
- :mod:`.oidc`: OpenID Connect discovery, the refresh and client_credentials grants, the RFC 8628 device login;
- :mod:`.client`: how a provider reaches its cloud (timeout, TLS trust, proxies), driving flows sync or async;
- :mod:`.renewer`: the one "refresh once for all processes" renewer of a token kept in a file;
- :mod:`.idtoken`: the hub login's id_token in a file for an SDK that federates it (Amazon Braket, Azure Quantum),
  its note, and its renewal once for all processes;
- :mod:`.editing`: the one locked read-modify-write (a file that does not parse is kept as a backup on
  re-initialization, never overwritten otherwise);
- :mod:`.rcdocument`, :mod:`.linefile`: lossless INI and ``KEY=VALUE`` (dotenv) documents;
- :mod:`.checks`, :mod:`.specprovider`: what a check learnt, and the provider base whose pasted and uploaded
  credentials are bundle entries.
"""

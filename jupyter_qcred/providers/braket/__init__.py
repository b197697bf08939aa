"""Amazon Braket: no AWS secret is ever stored. An OpenID Connect token file (from the hub's login, kept fresh by
jupyter_qcred) and an AWS profile with ``role_arn`` and ``web_identity_token_file`` let boto3 (and so the Braket SDK)
assume the role through STS ``AssumeRoleWithWebIdentity`` itself, re-reading the file whenever its short-lived
credentials need renewing. :mod:`.spec` (the bundle entry), :mod:`.store` (the files), :mod:`.sts` (the check),
:mod:`.provider`."""

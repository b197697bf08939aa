"""SDK tier: the clouds' real SDKs (qiskit-ibm-runtime, pyquil, qcs-api-client-common, qiskit-ionq, boto3, qnexus)
reading, writing or using what jupyter_qcred wrote (marker ``sdk``)."""

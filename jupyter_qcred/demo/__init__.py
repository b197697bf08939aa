"""For people trying jupyter_qcred: ``jupyter qcred demo`` (``lab``), ``demo --hub`` (``hub``), the local processes
they start and wait for (``processes``), and configurable-http-proxy from npm (``proxy``)."""

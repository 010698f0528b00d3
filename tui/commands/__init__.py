"""The command line: ``ffnn-tui [experiment.toml] [flags]`` (the app) and ``ffnn-tui train``
(headless). Both read the same experiment flags (``flags``) and build their run the same way
(``prepare``)."""

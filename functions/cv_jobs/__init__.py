"""CV AI Jobs: the code that runs inside the api and worker Lambda functions."""

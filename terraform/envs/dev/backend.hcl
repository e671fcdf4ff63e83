# The dev environment's state: its key in the state bucket (terraform/bootstrap made the
# bucket; its name is passed as -backend-config="bucket=…" by make deploy).
key = "sva/dev.tfstate"

#!/usr/bin/env bash
# One environment's release, what `make deploy ENV=dev` runs: registry → build → push →
# apply → Voximplant. Idempotent: a second run with nothing changed builds the same images
# (reproducible: the commit's time stamps), pushes nothing new, applies no change, and
# leaves Voximplant as it is. Every step says what it did.
#
#   terraform/deploy.sh dev
#
# Needs (terraform/README.md, steps 0–3):
#   YC_TOKEN                                  an IAM token (yc iam create-token): the
#                                             provider's credentials and the registry login
#   TF_STATE_BUCKET                           the state bucket (terraform/bootstrap)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  the backend's key (Lockbox, bootstrap)
# For the Voximplant step, else it is skipped:
#   VOXIMPLANT_KEY      the service account key file of the Voximplant account
#   SVA_TENANT          the tenant whose calls the application takes
#   SVA_SIGNING_SECRET  that tenant's signing secret (`sva tenant create` printed it)
#   SVA_CALLER_ID       a rented number: caller id for outbound calls and transfers
# Once terraform.tfvars names voximplant_outbound_rule_id (README, step 10), VOXIMPLANT_KEY
# is needed on every run: its text goes to Lockbox as TF_VAR_voximplant_key. Once it sets
# llm_gigachat_scope (README, step 10), GIGACHAT_CA is needed — the «Russian Trusted Root
# CA» as a PEM file, built into the dialog image (MODEL_CA) — and TF_VAR_llm_gigachat_key.
# The keys reach terraform apply alone, through its environment (never a command line,
# never the build's tools).
# Optional: AUTO_APPROVE=1 (no question before apply); TERRAFORM, PODMAN, SVA, MAKE (the
# commands used; terraform/deploy.test.sh replaces them with stand-ins).
set -euo pipefail

ENV=${1:?usage: terraform/deploy.sh <environment: dev or prod>}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_DIR="$ROOT/terraform/envs/$ENV"
TERRAFORM=${TERRAFORM:-terraform}
PODMAN=${PODMAN:-podman --storage-driver vfs}
SVA=${SVA:-$ROOT/target/debug/sva}
MAKE=${MAKE:-make}
REGISTRY_HOST=cr.yandex
FUNCTIONS=(dialog admin crm)

step() { printf '\n== %s\n' "$*"; }
did() { printf '   %s\n' "$*"; }
die() {
  printf 'deploy: %s\n' "$*" >&2
  exit 1
}

[ -f "$ENV_DIR/backend.hcl" ] && [ -f "$ENV_DIR/terraform.tfvars" ] ||
  die "no environment $ENV: terraform/envs/$ENV needs backend.hcl and terraform.tfvars"
for var in YC_TOKEN TF_STATE_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
  [ -n "${!var:-}" ] || die "$var is not set (terraform/README.md, steps 0–2)"
done

# The operator's keys (sensitive variables, hashed in the state): kept out of the
# environment of everything but terraform apply.
secret_env=()
for var in TF_VAR_voximplant_key TF_VAR_llm_gigachat_key; do
  if [ -n "${!var:-}" ]; then
    secret_env+=("$var=${!var}")
    export -n "$var"
  fi
done

# Outbound calls: the Voximplant key file's text.
if grep -Eq '^voximplant_outbound_rule_id[[:space:]]*=[[:space:]]*[0-9]' "$ENV_DIR/terraform.tfvars" &&
  [ -z "${TF_VAR_voximplant_key:-}" ]; then
  [ -f "${VOXIMPLANT_KEY:-}" ] ||
    die "terraform.tfvars names voximplant_outbound_rule_id: set VOXIMPLANT_KEY to the key file (README, step 10)"
  secret_env+=("TF_VAR_voximplant_key=$(cat "$VOXIMPLANT_KEY")")
fi

# GigaChat: its key, and its certificate chain ends in a root Debian does not ship: the
# dialog image carries it, or every model call would fail its TLS check.
model_ca=()
if grep -Eq '^llm_gigachat_scope[[:space:]]*=[[:space:]]*"[^"]+"' "$ENV_DIR/terraform.tfvars"; then
  [ -n "${TF_VAR_llm_gigachat_key:-}" ] ||
    die "terraform.tfvars sets llm_gigachat_scope: set TF_VAR_llm_gigachat_key to GigaChat's authorization key (README, step 10)"
  [ -f "${GIGACHAT_CA:-}" ] ||
    die "terraform.tfvars sets llm_gigachat_scope: set GIGACHAT_CA to the Russian Trusted Root CA, a PEM file (README, step 10)"
  model_ca=(MODEL_CA="$(cd "$(dirname "$GIGACHAT_CA")" && pwd)/$(basename "$GIGACHAT_CA")")
fi

# Each environment keeps its own init of the one root module.
export TF_DATA_DIR="$ROOT/terraform/root/.terraform-$ENV"
tf() { "$TERRAFORM" -chdir="$ROOT/terraform/root" "$@"; }
tf_apply() { env "${secret_env[@]}" "$TERRAFORM" -chdir="$ROOT/terraform/root" apply "$@"; }
IMAGES="$ENV_DIR/images.tfvars.json"
var_files=(-var-file="$ENV_DIR/terraform.tfvars")
approve=()
[ "${AUTO_APPROVE:-0}" = 1 ] && approve=(-auto-approve)

step "init: state sva/$ENV.tfstate in $TF_STATE_BUCKET"
tf init -input=false -reconfigure \
  -backend-config="$ENV_DIR/backend.hcl" -backend-config="bucket=$TF_STATE_BUCKET" >/dev/null
did "initialised"

step "registry"
if repositories=$(tf output -json image_repositories 2>/dev/null) && [ "$repositories" != null ]; then
  did "exists: $(tf output -raw registry_id)"
else
  did "none yet: the first apply makes it (and the bucket, keys, secrets, network, Qdrant)"
  tf_apply -input=false "${approve[@]}" "${var_files[@]}"
  repositories=$(tf output -json image_repositories)
  did "created: $(tf output -raw registry_id)"
fi

step "build"
tag=$(git -C "$ROOT" rev-parse --short=12 HEAD)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
  die "the working tree has uncommitted changes: an image must be a commit"
fi
$MAKE -C "$ROOT" --no-print-directory image IMAGE_TAG="$tag" "${model_ca[@]}"
if [ ${#model_ca[@]} -gt 0 ]; then
  # A dialog without it would fail at start (SVA_LLM_CA_FILE names it): never pushed.
  [ -s "$ROOT/target/images/sva-dialog/rootfs/opt/sva/ca/model.pem" ] ||
    die "the dialog image was built without GigaChat's root certificate"
  did "the dialog image carries GigaChat's root certificate"
fi
did "built sva-dialog, sva-admin, sva-crm:$tag"

step "push"
printf '%s' "$YC_TOKEN" | $PODMAN login --username iam --password-stdin "$REGISTRY_HOST" >/dev/null
declare -A pushed
for fn in "${FUNCTIONS[@]}"; do
  repository=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$fn" <<<"$repositories")
  digest_file=$(mktemp)
  $PODMAN push --quiet --digestfile "$digest_file" "sva-$fn:$tag" "docker://$repository:$tag"
  pushed[$fn]="$repository@$(cat "$digest_file")"
  rm -f "$digest_file"
  did "sva-$fn → ${pushed[$fn]}"
done
new=$(python3 -c 'import json,sys; print(json.dumps({"images": dict(zip(sys.argv[1::2], sys.argv[2::2]))}, indent=2, sort_keys=True))' \
  dialog "${pushed[dialog]}" admin "${pushed[admin]}" crm "${pushed[crm]}")
if [ -f "$IMAGES" ] && [ "$(cat "$IMAGES")" = "$new" ]; then
  did "digests unchanged ($IMAGES)"
else
  printf '%s\n' "$new" >"$IMAGES"
  did "digests written to $IMAGES (commit it: it is what runs)"
fi

step "apply"
tf_apply -input=false "${approve[@]}" "${var_files[@]}" -var-file="$IMAGES"
api_url=$(tf output -raw api_url)
did "serving at $api_url"

step "voximplant"
if [ -z "${VOXIMPLANT_KEY:-}" ] || [ -z "${SVA_TENANT:-}" ]; then
  did "skipped: set VOXIMPLANT_KEY and SVA_TENANT (and SVA_SIGNING_SECRET, SVA_CALLER_ID)"
  exit 0
fi
for var in SVA_SIGNING_SECRET SVA_CALLER_ID; do
  [ -n "${!var:-}" ] || die "$var is not set (the Voximplant application needs it)"
done
"$SVA" deploy voximplant --key "$VOXIMPLANT_KEY" --tenant "$SVA_TENANT" \
  --function-url "$api_url" --caller-id "$SVA_CALLER_ID"

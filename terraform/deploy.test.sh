#!/usr/bin/env bash
# deploy.sh's orchestration, with stand-ins of terraform, podman, make and sva that record
# what they were asked: the steps' order, the first release (registry, then images), an
# unchanged second release, and refusals before anything is touched. The tools themselves
# are not what is tested here (Terraform's modules are tested by `terraform test`, the
# images by `make test-image`, the Voximplant step by sva's own tests).
#
#   bash terraform/deploy.test.sh     # prints "deploy-tests: N passed, M failed"
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/       /'; }

# A repository with the deploy script and one environment, committed.
repo=$WORK/repo
mkdir -p "$repo/terraform/envs/dev" "$repo/terraform/root" "$WORK/bin" "$WORK/state"
cp "$HERE/deploy.sh" "$repo/terraform/"
printf 'key = "sva/dev.tfstate"\n' >"$repo/terraform/envs/dev/backend.hcl"
printf 'environment = "dev"\n' >"$repo/terraform/envs/dev/terraform.tfvars"
git -C "$repo" init -q && git -C "$repo" add -A &&
  git -C "$repo" -c user.email=t@t -c user.name=t commit -qm init

log=$WORK/log
# terraform: the state is a directory; apply with images makes the containers.
cat >"$WORK/bin/terraform" <<'STUB'
#!/usr/bin/env bash
echo "terraform $*" >>"$LOG"
args=" $* "
case "$args" in
  *" init "*) exit 0 ;;
  *" output -json image_repositories "*)
    [ -f "$STATE/registry" ] || exit 1
    echo '{"dialog":"cr.yandex/crp1/sva-dialog","admin":"cr.yandex/crp1/sva-admin","crm":"cr.yandex/crp1/sva-crm"}' ;;
  *" output -raw registry_id "*) echo crp1 ;;
  *" output -raw api_url "*) echo "https://d5d.apigw.yandexcloud.net" ;;
  *" apply "*)
    [ -n "${TF_VAR_voximplant_key:-}" ] && printf '%s' "$TF_VAR_voximplant_key" >"$STATE/voximplant_key"
    touch "$STATE/registry"
    case "$args" in *images.tfvars.json*) touch "$STATE/containers" ;; esac ;;
  *) echo "unexpected terraform $*" >&2; exit 2 ;;
esac
STUB
# podman: a push's digest is the image's content; here, which function it is (the same
# commit's sources make the same image, whatever its tag).
cat >"$WORK/bin/podman" <<'STUB'
#!/usr/bin/env bash
echo "podman $*" >>"$LOG"
while [ $# -gt 0 ]; do
  case $1 in
    login) cat >/dev/null; exit 0 ;;
    --digestfile) digestfile=$2; shift ;;
    push) push=1 ;;
    sva-*) image=$1 ;;
  esac
  shift
done
[ "${push:-}" = 1 ] && printf 'sha256:%s' "$(printf '%s' "${image%%:*}" | sha256sum | cut -c1-64)" >"$digestfile"
exit 0
STUB
# make: says whether a key reached it (it must not), and builds the dialog's root file
# system's certificate as make image would with MODEL_CA (functions/image/rootfs.sh).
cat >"$WORK/bin/make" <<'STUB'
#!/usr/bin/env bash
echo "make $*${TF_VAR_voximplant_key:+ [a key in the environment]}${TF_VAR_llm_gigachat_key:+ [a key in the environment]}" >>"$LOG"
while [ $# -gt 0 ]; do
  case $1 in
    -C) root=$2; shift ;;
    MODEL_CA=*) mkdir -p "$root/target/images/sva-dialog/rootfs/opt/sva/ca" &&
      cp "${1#MODEL_CA=}" "$root/target/images/sva-dialog/rootfs/opt/sva/ca/model.pem" ;;
  esac
  shift
done
STUB
cat >"$WORK/bin/sva" <<'STUB'
#!/usr/bin/env bash
echo "sva $* [SVA_SIGNING_SECRET ${SVA_SIGNING_SECRET:+set}]" >>"$LOG"
STUB
chmod +x "$WORK"/bin/*

deploy() {
  env -i PATH="$PATH" HOME="$WORK" LOG="$log" STATE="$WORK/state" \
    TERRAFORM="$WORK/bin/terraform" PODMAN="$WORK/bin/podman" MAKE="$WORK/bin/make" SVA="$WORK/bin/sva" \
    "$@" bash "$repo/terraform/deploy.sh" dev
}
creds=(YC_TOKEN=iam-token TF_STATE_BUCKET=sva-state AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s AUTO_APPROVE=1)

echo "deploy.sh with stand-in tools:"

# 1. Without credentials: refused, nothing run.
: >"$log"
out=$(deploy YC_TOKEN= TF_STATE_BUCKET=sva-state 2>&1)
if [ $? -ne 0 ] && grep -q "YC_TOKEN is not set" <<<"$out" && [ ! -s "$log" ]; then
  ok "missing credentials are refused before anything runs"
else bad "missing credentials are refused before anything runs" "$out"; fi

# 2. The first release: registry first (apply without images), then build, push, apply.
: >"$log"
out=$(deploy "${creds[@]}" 2>&1)
order=$(sed 's/ .*//' "$log" | uniq | tr '\n' ' ')
if [ $? -eq 0 ] && [ "$order" = "terraform make podman terraform " ] &&
  grep -q "none yet: the first apply" <<<"$out" &&
  grep -E "^terraform .* apply " "$log" | head -1 | grep -vq images.tfvars.json &&
  grep -E "^terraform .* apply " "$log" | tail -1 | grep -q images.tfvars.json &&
  [ -f "$WORK/state/containers" ]; then
  ok "a first release makes the registry, then builds, pushes and applies the images"
else bad "a first release makes the registry, then builds, pushes and applies the images" "$order
$out"; fi
images=$repo/terraform/envs/dev/images.tfvars.json
if python3 - "$images" <<'PY'; then ok "the digests that run are written, one per function"; else bad "the digests that run are written, one per function" "$(cat "$images" 2>&1)"; fi
import json, sys
images = json.load(open(sys.argv[1]))["images"]
assert sorted(images) == ["admin", "crm", "dialog"], images
assert all(v.startswith(f"cr.yandex/crp1/sva-{k}@sha256:") and len(v.split("@sha256:")[1]) == 64 for k, v in images.items()), images
PY
if grep -q "voximplant" <<<"$out" && grep -q "skipped: set VOXIMPLANT_KEY" <<<"$out" && ! grep -q "^sva" "$log"; then
  ok "without a Voximplant key the Voximplant step is skipped, and says so"
else bad "without a Voximplant key the Voximplant step is skipped, and says so" "$out"; fi

# 3. The same commit again: the registry exists, the digests are unchanged.
git -C "$repo" add -A && git -C "$repo" -c user.email=t@t -c user.name=t commit -qm digests
before=$(cat "$images")
: >"$log"
out=$(deploy "${creds[@]}" 2>&1)
if [ $? -eq 0 ] && grep -q "exists: crp1" <<<"$out" && grep -q "digests unchanged" <<<"$out" &&
  [ "$(cat "$images")" = "$before" ] && [ "$(grep -cE '^terraform .* apply ' "$log")" = 1 ]; then
  ok "a second release of the same commit changes nothing and says so"
else bad "a second release of the same commit changes nothing and says so" "$out"; fi

# 4. Uncommitted changes: no image is built from them.
echo "# local edit" >>"$repo/terraform/envs/dev/terraform.tfvars"
: >"$log"
out=$(deploy "${creds[@]}" 2>&1)
if [ $? -ne 0 ] && grep -q "uncommitted changes" <<<"$out" && ! grep -q "^make\|^podman" "$log"; then
  ok "uncommitted changes are refused before anything is built or pushed"
else bad "uncommitted changes are refused before anything is built or pushed" "$out"; fi
git -C "$repo" checkout -q -- terraform/envs/dev/terraform.tfvars

# 5. The Voximplant step: needs the caller id; the signing secret never on a command line.
: >"$log"
out=$(deploy "${creds[@]}" VOXIMPLANT_KEY=/k.json SVA_TENANT=acme SVA_SIGNING_SECRET=s3cret 2>&1)
if [ $? -ne 0 ] && grep -q "SVA_CALLER_ID is not set" <<<"$out"; then
  ok "the Voximplant step refuses without a caller id"
else bad "the Voximplant step refuses without a caller id" "$out"; fi
: >"$log"
out=$(deploy "${creds[@]}" VOXIMPLANT_KEY=/k.json SVA_TENANT=acme SVA_SIGNING_SECRET=s3cret \
  SVA_CALLER_ID=+74950000000 2>&1)
line=$(grep "^sva " "$log")
if [ $? -eq 0 ] && grep -q -- "deploy voximplant --key /k.json --tenant acme --function-url https://d5d.apigw.yandexcloud.net --caller-id +74950000000" <<<"$line" &&
  ! grep -q s3cret "$log" && grep -q "\[SVA_SIGNING_SECRET set\]" <<<"$line"; then
  ok "the Voximplant step gets the gateway's URL, and the secret only through the environment"
else bad "the Voximplant step gets the gateway's URL, and the secret only through the environment" "$line
$out"; fi

# 6. Outbound calls on: the rule id in the settings, the key file's text to Terraform
# through the environment only; without the key file, refused before anything runs.
printf 'environment = "dev"\nvoximplant_outbound_rule_id = 3141592\n' >"$repo/terraform/envs/dev/terraform.tfvars"
git -C "$repo" add -A && git -C "$repo" -c user.email=t@t -c user.name=t commit -qm outbound
: >"$log"
out=$(deploy "${creds[@]}" 2>&1)
if [ $? -ne 0 ] && grep -q "set VOXIMPLANT_KEY to the key file" <<<"$out" && [ ! -s "$log" ]; then
  ok "with an outbound rule and no key file the deploy is refused before anything runs"
else bad "with an outbound rule and no key file the deploy is refused before anything runs" "$out"; fi
printf '{"account_id": 1, "key_id": "k", "private_key": "-----BEGIN PRIVATE KEY-----x"}' >"$WORK/vox.json"
rm -f "$WORK/state/voximplant_key"
: >"$log"
out=$(deploy "${creds[@]}" VOXIMPLANT_KEY="$WORK/vox.json" 2>&1)
if [ $? -eq 0 ] && cmp -s "$WORK/vox.json" "$WORK/state/voximplant_key" && ! grep -q "private_key" "$log" &&
  ! grep -q "a key in the environment" "$log"; then
  ok "the Voximplant key reaches terraform apply through the environment, never its command line nor the build"
else bad "the Voximplant key reaches terraform apply through the environment, never its command line nor the build" "$out
$(cat "$log")"; fi
printf 'environment = "dev"\nvoximplant_outbound_rule_id = null\n' >"$repo/terraform/envs/dev/terraform.tfvars"
git -C "$repo" add -A && git -C "$repo" -c user.email=t@t -c user.name=t commit -qm no-outbound
: >"$log"
out=$(deploy "${creds[@]}" 2>&1)
if [ $? -eq 0 ]; then ok "a rule id of null asks for no key"
else bad "a rule id of null asks for no key" "$out"; fi

# 7. GigaChat on: its key and root certificate are needed before anything runs; the
# certificate is built into the dialog image (make … MODEL_CA=<absolute path>) and the
# build is checked for it; the key reaches terraform apply only.
printf 'environment = "dev"\nllm_gigachat_scope = "GIGACHAT_API_PERS"\n' >"$repo/terraform/envs/dev/terraform.tfvars"
git -C "$repo" add -A && git -C "$repo" -c user.email=t@t -c user.name=t commit -qm gigachat
printf -- '-----BEGIN CERTIFICATE-----\nMIIx\n-----END CERTIFICATE-----\n' >"$WORK/ca.pem"
: >"$log"
out=$(deploy "${creds[@]}" GIGACHAT_CA="$WORK/ca.pem" 2>&1)
if [ $? -ne 0 ] && grep -q "set TF_VAR_llm_gigachat_key" <<<"$out" && [ ! -s "$log" ]; then
  ok "with GigaChat and no key the deploy is refused before anything runs"
else bad "with GigaChat and no key the deploy is refused before anything runs" "$out"; fi
: >"$log"
out=$(deploy "${creds[@]}" TF_VAR_llm_gigachat_key=giga-secret 2>&1)
if [ $? -ne 0 ] && grep -q "set GIGACHAT_CA to the Russian Trusted Root CA" <<<"$out" && [ ! -s "$log" ]; then
  ok "with GigaChat and no root certificate the deploy is refused before anything runs"
else bad "with GigaChat and no root certificate the deploy is refused before anything runs" "$out"; fi
rm -rf "$repo/target"
: >"$log"
out=$(cd "$WORK" && deploy "${creds[@]}" TF_VAR_llm_gigachat_key=giga-secret GIGACHAT_CA=ca.pem 2>&1)
if [ $? -eq 0 ] && grep -q "^make .* image .*MODEL_CA=$WORK/ca.pem" "$log" &&
  grep -q "the dialog image carries GigaChat's root certificate" <<<"$out" &&
  ! grep -q "a key in the environment\|giga-secret" "$log"; then
  ok "GigaChat's root certificate goes into the image build by its absolute path; its key only to apply"
else bad "GigaChat's root certificate goes into the image build by its absolute path; its key only to apply" "$(cat "$log")
$out"; fi

echo "deploy-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

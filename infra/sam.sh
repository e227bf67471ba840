#!/usr/bin/env bash
# `make validate | build | deploy`: the SAM side, offline up to the deploy itself.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_sam
cd "$ROOT"
case "${1:-}" in
  validate)
    cfn-lint template.yaml
    sam validate --lint --region "$AWS_REGION"
    ;;
  build)
    # Builds every function with cargo-lambda (x86_64, release) into .aws-sam/build.
    sam build --beta-features
    ;;
  deploy)
    # Needs real AWS credentials (not the local dummies) and the key set secret: see README.
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    sam deploy --config-env "${ENV:-dev}"
    ;;
  *) die "usage: sam.sh validate|build|deploy" ;;
esac

# The two commands: `make serve` runs the API on http://localhost:8000 over DynamoDB Local;
# `make test` runs every test. Both install what they need into .local/ the first time.
.PHONY: serve test stop reset lint fmt timing validate build deploy openapi bench

serve:
	@bash infra/serve.sh

test:
	@bash infra/test.sh

# Stops what `make serve` started (from another terminal).
stop:
	@bash infra/stop.sh

# Wipes the local data (users, tokens...) after stopping the stack.
reset: stop
	rm -rf .local/data

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

# Median latency of the enumeration-sensitive cases against a local stack of its own (prints only).
timing:
	@bash infra/timing.sh

# The SAM template: cfn-lint and `sam validate --lint`, offline (part of `make test`).
validate:
	@bash infra/sam.sh validate

# `sam build`: every function with cargo-lambda (release, x86_64) into .aws-sam/build.
build:
	@bash infra/sam.sh build

# `sam deploy --config-env $(ENV)` (dev or prod, from samconfig.toml); needs AWS credentials.
ENV ?= dev
deploy:
	@ENV=$(ENV) bash infra/sam.sh deploy

# Rewrites the committed openapi.json from the code (a test fails while they differ). Written to a
# temporary file first, so a failed build leaves openapi.json as it was.
openapi:
	cargo run -q --bin gatehouse -- openapi > openapi.json.tmp || { rm -f openapi.json.tmp; exit 1; }
	mv openapi.json.tmp openapi.json

# Latency, throughput, floors and DynamoDB calls per request of the local stack (release build).
# Not part of `make test`; it asserts nothing. BENCHMARKS.md records a run.
bench:
	@bash infra/bench.sh

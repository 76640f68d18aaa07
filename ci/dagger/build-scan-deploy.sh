#!/usr/bin/env sh
# paved build-scan-deploy through Dagger: the same paved steps, in containers
# on a Dagger engine. Run from the repository that holds the service; the
# secrets are read from the environment by Dagger (env://), never argv.
#
#   REGISTRY_PASSWORD=... COSIGN_KEY="$(cat cosign.key)" COSIGN_PASSWORD=... GITOPS_TOKEN=... \
#     ./build-scan-deploy.sh --service=services/api --env=dev
#
# The paved pin is the -m ref; --paved-version stamps the same version into
# paved's run record. Both move together (Renovate preset, paved fleet).
set -eu
exec dagger call -m github.com/paved-dev/paved@v0.1.0 --paved-version=v0.1.0 \
  build-scan-deploy --source=. \
  --registry-username="${REGISTRY_USERNAME:-}" --registry-password=env://REGISTRY_PASSWORD \
  --cosign-key=env://COSIGN_KEY --cosign-password=env://COSIGN_PASSWORD \
  --git-token=env://GITOPS_TOKEN \
  "$@" \
  export --path=paved-out

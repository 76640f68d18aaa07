// Package apps reads release/apps.yaml: the reference apps a paved release
// candidate is taken through, each pinned at the paved-repository commit of
// its last green run, with the CI wrapper it runs paved through (its own CI
// file, with its own inputs) and an optional, dated quarantine.
//
// The format (apiVersion paved.dev/v1, kind ReferenceApps):
//
//	bases:                 # images the apps build on; the harness pushes
//	  - image: platform/static:1   # each one into every isolated registry,
//	    layout: static             # from the OCI layout <bases dir>/<layout>
//	fixtures:              # repository paths exported with every app
//	  policy: examples/policy.yaml
//	  gitops: examples/gitops      # seeds each run's fresh GitOps remote
//	apps:
//	  - name: go-api
//	    path: examples/reference-apps/go-api
//	    commit: 0123…              # 40 hex digits: the last green commit
//	    ci: github                 # its .github/workflows/paved.yml (act), or
//	                               # gitlab: its .gitlab-ci.yml (gitlab-ci-local)
//	    quarantine:                # optional: runs, is reported, never blocks
//	      reason: flaky npm mirror (#123)
//	      until: 2026-12-31        # expired → bad input: renew it or fix the app
//
// Unknown keys are errors, so a typo does not silently drop a quarantine.
package apps

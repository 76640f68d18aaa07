// Package template is build-scan-deploy: the pipeline that services call.
// It reads a service's paved.yaml (Config, Load), runs the steps of the
// pipeline in order, concurrently where they do not depend on each other
// (BuildScanDeploy), and records what happened in a run record (record.Run,
// schema paved.dev/run-record/v1).
//
// The steps are the other pipelines packages, composed:
//
//	build → push ┐
//	      → sbom → scan → gate ┬→ sign   ┐
//	                           └→ attest ┴→ verify → deploy → record
//
// Nothing after a failed step runs: a failed gate leaves no signature, no
// attestation and no GitOps commit. Every step runs in its own
// OpenTelemetry span under one trace whose id is written into the image
// annotations (dev.paved.trace-id), the GitOps commit trailer, versions.yaml
// and the run record, so a deployment leads back to its run.
//
// paved.yaml itself is read by package service, which also lists the
// services of a monorepo whose sources changed since a base revision.
package template

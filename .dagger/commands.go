package main

// Every paved command line the module runs is built in this file and
// nowhere else, from plain values: no Dagger type appears here, so paved's
// own tests compile this file alone and parse each command line with the
// paved CLI's flag parsing (cmd/paved/wrappers_test.go). A flag paved does
// not have fails those tests, not a service's pipeline.

// buildCommand pushes the service in the working directory by digest and
// prints the result as JSON. A Go service needs its base (paved.yaml's
// build.base).
func buildCommand(repository, base string, args []string) []string {
	cmd := []string{"paved", "build", ".", "--push", repository, "--output", "json"}
	if base != "" {
		cmd = append(cmd, "--base", base)
	}
	return append(cmd, args...)
}

// layoutCommand builds the service in the working directory into an OCI
// layout, without pushing.
func layoutCommand(dir, base string, args []string) []string {
	cmd := []string{"paved", "build", ".", "--oci-layout", dir}
	if base != "" {
		cmd = append(cmd, "--base", base)
	}
	return append(cmd, args...)
}

// sbomCommand writes the SBOM of ref in format to out.
func sbomCommand(ref, format, out string) []string {
	return []string{"paved", "sbom", ref, "--format", format, "--out", out}
}

// scanFormats are the report formats of the Scan function: the paved scan
// flag that writes each to a file ("" for the table paved prints).
var scanFormats = map[string]string{"sarif": "--sarif", "json": "--report", "table": ""}

// scanCommand scans ref against the database in dbDir and writes the
// report in format to out (the table goes to stdout).
func scanCommand(ref, dbDir, format, out string, args []string) []string {
	cmd := []string{"paved", "scan", ref, "--db-dir", dbDir}
	if flag := scanFormats[format]; flag != "" {
		cmd = append(cmd, flag, out)
	}
	return append(cmd, args...)
}

// dbUpdateCommand downloads the vulnerability database into dir, from
// repository (a mirror) when given.
func dbUpdateCommand(dir, repository string) []string {
	cmd := []string{"paved", "db", "update", "--db-dir", dir}
	if repository != "" {
		cmd = append(cmd, "--repository", repository)
	}
	return cmd
}

// signCommand signs image with the key file at key.
func signCommand(image, key string, args []string) []string {
	return append([]string{"paved", "sign", image, "--key", key}, args...)
}

// deployCommand pins service in env of the GitOps repository repo to image.
func deployCommand(repo, service, env, image string, args []string) []string {
	return append([]string{"paved", "deploy", "bump", "--repo", repo, "--service", service, "--env", env, "--image", image}, args...)
}

// runCommand runs the whole pipeline of the service in dir, writing the
// run record and reports into reportDir.
func runCommand(service, env, reportDir, dbDir, key string, args []string) []string {
	cmd := []string{"paved", "run", "build-scan-deploy", service, "--report-dir", reportDir, "--db-dir", dbDir, "--progress", "plain"}
	if env != "" {
		cmd = append(cmd, "--env", env)
	}
	if key != "" {
		cmd = append(cmd, "--key", key)
	}
	return append(cmd, args...)
}

// versionCommand prints the version of the paved in the container.
func versionCommand() []string { return []string{"paved", "version"} }

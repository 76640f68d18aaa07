// Package apps tests the reference apps that stand for the fleet
// (examples/reference-apps): their own test suites, their paved.yaml files
// and CI wrappers, and — with the smoke build tag, as root — their images,
// built by paved on the approved Debian bases and started with runc.
package apps

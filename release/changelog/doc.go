// Package changelog reads a Keep a Changelog file (https://keepachangelog.com)
// and releases it: the change notes under "## [Unreleased]" decide the next
// semantic version, and Release moves them into a new "## [X.Y.Z] - DATE"
// section, leaving every other byte of the file as it was.
//
// # Which bump the change notes call for
//
// The "###" groups under Unreleased that hold at least one list item ("-",
// "*" or "+" bullets, or ordered "1." items, indented by at most three
// spaces) decide. A group with text but no items, and a "## " heading inside
// Unreleased that is not a release, are bad input: the bump is never read
// from less than what the notes say.
//
//	Breaking, Removed            -> major
//	Added, Changed, Deprecated   -> minor
//	Fixed, Security              -> patch
//
// Pre-1.0 rule: while the major version is 0, a breaking change bumps the
// minor version (v0.3.1 -> v0.4.0) and everything else follows the table
// (Added -> v0.4.0, Fixed -> v0.3.2). The major version never moves from 0
// on its own: v1.0.0 is a decision, made by asking for it explicitly (see
// Decide). This is the practice of Cargo and most Go modules; strict semver
// 2.0 allows anything before 1.0 and so gives no rule at all.
//
// A first release (no previous version) is v0.1.0 unless another release
// version (no pre-release, no build metadata) is asked for.
package changelog

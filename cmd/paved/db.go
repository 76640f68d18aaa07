package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/vulndb"
)

func init() { register(newDBCmd) }

// dbDirFlag adds --db-dir: $PAVED_DB_DIR, else the user cache directory.
func dbDirFlag(cmd *cobra.Command, dst *string) {
	def := getenv(envDBDir)
	if def == "" {
		if c, err := os.UserCacheDir(); err == nil {
			def = filepath.Join(c, "paved", "db")
		}
	}
	cmd.Flags().StringVar(dst, "db-dir", def, "vulnerability database directory (trivy.db and metadata.json; $"+envDBDir+")")
}

func newDBCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the vulnerability database that 'paved scan' reads",
		Long: `The vulnerability database is Trivy's (trivy.db and metadata.json in --db-dir).
'paved scan' never downloads it: update it online, import it offline, or
build the fixture database for tests and demos.`,
		Example: `  paved db update --db-dir /var/cache/paved/db
  paved db import trivy-db.tar.gz --db-dir /var/cache/paved/db
  paved db build-fixture --db-dir .paved/db`,
	}
	cmd.AddCommand(newDBUpdateCmd(), newDBImportCmd(), newDBBuildFixtureCmd())
	return cmd
}

type dbFlags struct {
	dir    string
	repos  []string
	out    string
	output string
}

// dbResult is the --output json result of every db verb.
type dbResult struct {
	Dir      string          `json:"dir"`
	Metadata vulndb.Metadata `json:"metadata"`
}

func printDB(cmd *cobra.Command, f dbFlags, verb string, meta vulndb.Metadata) error {
	if f.output == "json" {
		return writeJSON(cmd.OutOrStdout(), dbResult{Dir: f.dir, Metadata: meta})
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s vulnerability database in %s (schema %d, updated %s)\n",
		verb, f.dir, meta.Version, meta.UpdatedAt.UTC().Format(time.RFC3339))
	return err
}

func newDBUpdateCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download Trivy's vulnerability database (online)",
		Long: `Update downloads the vulnerability database with Trivy's own client (an OCI
artifact pull) from --repository, tried in order (default: Trivy's public
repositories; $` + envDBRepository + ` for a mirror). Credentials for a mirror come
from $` + envDBRepoUsername + ` and $` + envDBRepoPassword + `, else the Docker config. The
new database replaces the old one only once it is complete and valid.`,
		Example: `  paved db update
  paved db update --repository registry.example.com/mirror/trivy-db:2 --db-dir /var/cache/paved/db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			repos := f.repos
			if len(repos) == 0 {
				if r := getenv(envDBRepository); r != "" {
					repos = []string{r}
				}
			}
			var opts []vulndb.UpdateOption
			if len(repos) > 0 {
				opts = append(opts, vulndb.WithRepositories(repos...))
			}
			if u, p := getenv(envDBRepoUsername), getenv(envDBRepoPassword); u != "" && p != "" {
				opts = append(opts, vulndb.WithRegistryAuth(u, p))
			}
			meta, err := vulndb.Update(cmd.Context(), f.dir, opts...)
			if err != nil {
				return err
			}
			return printDB(cmd, f, "Updated", meta)
		},
	}
	dbDirFlag(cmd, &f.dir)
	cmd.Flags().StringArrayVar(&f.repos, "repository", nil, "OCI repository of the database, e.g. a mirror (repeatable; default Trivy's)")
	outputFlag(cmd, &f.output)
	return cmd
}

func newDBImportCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Install a vulnerability database from a file (offline)",
		Long: `Import installs a database copied in from elsewhere: a trivy.db with its
metadata.json beside it, or a tar.gz (or tar) holding both, such as the
db.tar.gz of Trivy's database artifact. It is checked first; a bad file
changes nothing.`,
		Example: `  paved db import /mnt/airgap/db.tar.gz
  paved db import /mnt/airgap/trivy.db --db-dir /var/cache/paved/db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			if err := vulndb.Import(f.dir, args[0]); err != nil {
				return err
			}
			meta, err := vulndb.Check(f.dir, -1, time.Now())
			if err != nil {
				return err
			}
			return printDB(cmd, f, "Imported", meta)
		},
	}
	dbDirFlag(cmd, &f.dir)
	outputFlag(cmd, &f.output)
	return cmd
}

func newDBBuildFixtureCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "build-fixture",
		Short: "Build the small fixture database from paved's embedded advisories (tests, demos)",
		Long: `Build-fixture builds a vulnerability database from the bolt-fixtures YAML
embedded in paved: real advisories for packages of the reference apps and
base images (golang.org/x/text CVE-2022-32149, Debian 12 glibc, openssl and
zlib, Python requests, npm lodash). It is for tests and demos, not for
production gates. --out is an alias of --db-dir.`,
		Example: `  paved db build-fixture --db-dir .paved/db
  paved db build-fixture --out /tmp/db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			if f.out != "" {
				f.dir = f.out
			}
			if f.dir == "" {
				return usageError{errors.New("give --db-dir or --out")}
			}
			if err := vulndb.BuildFixture(f.dir, time.Now()); err != nil {
				return err
			}
			meta, err := vulndb.Check(f.dir, -1, time.Now())
			if err != nil {
				return err
			}
			return printDB(cmd, f, "Built fixture", meta)
		},
	}
	dbDirFlag(cmd, &f.dir)
	cmd.Flags().StringVar(&f.out, "out", "", "directory to build the database in (alias of --db-dir)")
	outputFlag(cmd, &f.output)
	return cmd
}

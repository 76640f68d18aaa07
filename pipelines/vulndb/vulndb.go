package vulndb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	bolt "go.etcd.io/bbolt"

	"github.com/paved-dev/paved/pipelines/failure"
)

// SchemaVersion is the Trivy DB schema version paved reads (metadata.json
// "Version").
const SchemaVersion = trivydb.SchemaVersion

// DefaultMaxAge is how old (by metadata UpdatedAt) a database may be before
// Open refuses it as stale.
const DefaultMaxAge = 7 * 24 * time.Hour

// File names inside a database directory.
const (
	DBFile       = "trivy.db"
	MetadataFile = "metadata.json"
)

// Sentinel errors, wrapped as bad input by Open and Import.
var (
	// ErrMissing means the directory has no trivy.db or no metadata.json.
	ErrMissing = errors.New("no vulnerability database")
	// ErrStale means the database is older than the allowed age.
	ErrStale = errors.New("vulnerability database is stale")
	// ErrCorrupt means trivy.db or metadata.json cannot be read, has the
	// wrong schema version, or holds no advisories.
	ErrCorrupt = errors.New("vulnerability database is corrupt or empty")
)

// remedy is the one line every database error ends with.
const remedy = "run 'paved db update' (online), 'paved db import FILE' (offline) or 'paved db build-fixture' (tests)"

// Metadata describes a database: its schema version and when it was built
// (UpdatedAt), is due (NextUpdate) and was downloaded (DownloadedAt). Times
// are UTC.
type Metadata = metadata.Metadata

// Handle is an open database. Close it when the scan is done; until then
// other scans in the process wait.
type Handle struct {
	// Dir is the database directory.
	Dir string
	// Metadata is the content of metadata.json.
	Metadata Metadata
	once     sync.Once
}

// mu serialises use of Trivy's process-wide database.
var mu sync.Mutex

// OpenOption configures Open.
type OpenOption func(*openOptions)

type openOptions struct {
	maxAge time.Duration
	now    func() time.Time
}

// WithMaxAge sets how old the database may be (DefaultMaxAge by default); a
// negative age turns the check off.
func WithMaxAge(d time.Duration) OpenOption { return func(o *openOptions) { o.maxAge = d } }

// WithClock sets the clock Open compares the database age against.
func WithClock(now func() time.Time) OpenOption { return func(o *openOptions) { o.now = now } }

// Open checks the database in dir and opens it read-only for Trivy's
// detectors. It blocks while another Handle in the process is open.
func Open(dir string, opts ...OpenOption) (*Handle, error) {
	o := openOptions{maxAge: DefaultMaxAge, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	meta, err := Check(dir, o.maxAge, o.now())
	if err != nil {
		return nil, err
	}
	mu.Lock()
	if err := trivydb.Init(dir, trivydb.WithBoltOptions(&bolt.Options{ReadOnly: true, Timeout: time.Second})); err != nil {
		mu.Unlock()
		return nil, failure.BadInputErr(fmt.Errorf("opening vulnerability database %q: %w: %w; %s", dir, ErrCorrupt, err, remedy))
	}
	return &Handle{Dir: dir, Metadata: meta}, nil
}

// Close closes the database and lets the next scan open it. It is safe to
// call more than once.
func (h *Handle) Close() error {
	var err error
	h.once.Do(func() {
		err = trivydb.Close()
		mu.Unlock()
	})
	return err
}

// Check validates the database in dir without opening it for Trivy: both
// files present, metadata of SchemaVersion, UpdatedAt no older than maxAge
// at now (maxAge < 0: no limit), and a readable BoltDB with advisories.
// Every failure is bad input naming dir and the command that fixes it.
func Check(dir string, maxAge time.Duration, now time.Time) (Metadata, error) {
	bad := func(kind error, detail string) (Metadata, error) {
		return Metadata{}, failure.BadInputErr(fmt.Errorf("checking vulnerability database %q: %w: %s; %s", dir, kind, detail, remedy))
	}
	dbPath := filepath.Join(dir, DBFile)
	for _, p := range []string{dbPath, filepath.Join(dir, MetadataFile)} {
		if _, err := os.Stat(p); err != nil {
			return bad(ErrMissing, fmt.Sprintf("%s not found", filepath.Base(p)))
		}
	}
	meta, err := metadata.NewClient(dir).Get()
	if err != nil {
		return bad(ErrCorrupt, "metadata.json is not valid JSON")
	}
	if meta.Version != SchemaVersion {
		return bad(ErrCorrupt, fmt.Sprintf("schema version %d, paved reads version %d", meta.Version, SchemaVersion))
	}
	if maxAge >= 0 && now.Sub(meta.UpdatedAt) > maxAge {
		return bad(ErrStale, fmt.Sprintf("updated %s, older than %s", meta.UpdatedAt.UTC().Format(time.RFC3339), maxAge))
	}
	if err := checkBolt(dbPath); err != nil {
		return bad(ErrCorrupt, err.Error())
	}
	return meta, nil
}

// checkBolt opens the BoltDB read-only and requires the buckets every Trivy
// database has.
func checkBolt(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("trivy.db: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		for _, b := range []string{"vulnerability", "data-source"} {
			if tx.Bucket([]byte(b)) == nil {
				return fmt.Errorf("trivy.db has no %q bucket", b)
			}
		}
		return nil
	})
}

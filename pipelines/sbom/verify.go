package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// verified wraps img so that reading a layer fails unless its uncompressed
// content matches the diff ID in the image config, and checks the config
// against the manifest. Together with the manifest digest this ties every
// byte Syft reads to the image digest the SBOM names, whatever the source:
// layout and tarball readers do not verify blobs themselves.
func verified(img v1.Image) (v1.Image, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if got := sha256.Sum256(raw); m.Config.Digest.Algorithm == "sha256" && hex.EncodeToString(got[:]) != m.Config.Digest.Hex {
		return nil, fmt.Errorf("config does not match its digest %s in the manifest: the image is corrupt", m.Config.Digest)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("manifest has %d layers but config has %d diff IDs: the image is corrupt", len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	return verifiedImage{Image: img, diffIDs: cf.RootFS.DiffIDs}, nil
}

type verifiedImage struct {
	v1.Image
	diffIDs []v1.Hash
}

func (v verifiedImage) Layers() ([]v1.Layer, error) {
	ls, err := v.Image.Layers()
	if err != nil {
		return nil, err
	}
	if len(ls) != len(v.diffIDs) {
		return nil, fmt.Errorf("image has %d layers but config has %d diff IDs: the image is corrupt", len(ls), len(v.diffIDs))
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = verifiedLayer{Layer: l, diffID: v.diffIDs[i]}
	}
	return out, nil
}

// verifiedLayer checks its uncompressed content against diffID as it is
// read; the reader fails at the end of a layer that does not match.
type verifiedLayer struct {
	v1.Layer
	diffID v1.Hash
}

func (l verifiedLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

func (l verifiedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	if l.diffID.Algorithm != "sha256" {
		return rc, nil
	}
	return &hashCheckReader{rc: rc, h: sha256.New(), want: l.diffID}, nil
}

type hashCheckReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want v1.Hash
}

func (r *hashCheckReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF {
		if got := r.h.Sum(nil); !bytes.Equal(got, mustHex(r.want.Hex)) {
			return n, fmt.Errorf("layer %s: content has digest sha256:%x: the layer is corrupt", r.want, got)
		}
	}
	return n, err
}

func (r *hashCheckReader) Close() error { return r.rc.Close() }

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

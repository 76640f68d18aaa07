package oci

// Annotation keys paved sets on every image manifest (OCI image spec
// "pre-defined annotation keys", plus paved's own). The build writes them;
// the fleet inventory, the release harness and verification read them.
const (
	AnnotationBaseName        = "org.opencontainers.image.base.name"
	AnnotationBaseDigest      = "org.opencontainers.image.base.digest"
	AnnotationSource          = "org.opencontainers.image.source"
	AnnotationRevision        = "org.opencontainers.image.revision"
	AnnotationCreated         = "org.opencontainers.image.created"
	AnnotationVersion         = "org.opencontainers.image.version"
	AnnotationPipelineVersion = "dev.paved.pipeline.version"
)

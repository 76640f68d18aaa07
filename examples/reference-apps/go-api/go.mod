module github.com/paved-dev/paved/examples/reference-apps/go-api

go 1.24

require golang.org/x/text v0.3.8

// Command go-api is paved's reference Go service: a small HTTP API with a
// health endpoint, a JSON greeting endpoint localised through
// golang.org/x/text with a fortune from python-api (PYTHON_API_URL), a data
// file read at start, and graceful shutdown. It propagates W3C traceparent
// and X-Request-ID and logs the trace id on every line of a request.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	addr := flag.String("addr", envOr("ADDR", ":8080"), "listen address")
	data := flag.String("greetings", envOr("GREETINGS_FILE", "/app/greetings.json"), "greetings data file")
	pythonAPI := flag.String("python-api", os.Getenv("PYTHON_API_URL"), "python-api's URL for fortunes (empty: no call)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("service", "go-api")
	if err := run(*addr, *data, options{pythonAPI: *pythonAPI}, log); err != nil {
		log.Error("go-api stopped", "error", err)
		os.Exit(1)
	}
}

func run(addr, dataFile string, opts options, log *slog.Logger) error {
	greetings, err := loadGreetings(dataFile)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           newServer(greetings, log, opts),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("go-api listening", "addr", addr, "version", version, "python_api", opts.pythonAPI)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("go-api shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Command server stands for a service in smoke's runc tests: MODE=healthy
// answers /healthz with 200, MODE=sick with 500, MODE=exit exits at once.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	mode := os.Getenv("MODE")
	fmt.Println("server starting, mode", mode, "uid", os.Getuid())
	if mode == "exit" {
		fmt.Fprintln(os.Stderr, "server: exiting on purpose")
		os.Exit(3)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if mode == "sick" {
			http.Error(w, "sick on purpose", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// fakes3: a second S3 implementation for the tests, one that checks SigV4 signatures the way
// AWS and MinIO do (the path decoded, then every byte outside A-Za-z0-9-._~ and '/' encoded):
// rclone's gofakes3 with an in-memory backend.
//
//	fakes3 -addr 127.0.0.1:PORT -access-key AK -secret-key SK -bucket B[,B...]
//
// It prints "listening on ADDR" on stdout once it accepts connections; it stops on SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/rclone/gofakes3"
	"github.com/rclone/gofakes3/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	ak := flag.String("access-key", "", "the access key id accepted")
	sk := flag.String("secret-key", "", "its secret")
	buckets := flag.String("bucket", "", "buckets to create, comma-separated")
	flag.Parse()
	if *ak == "" || *sk == "" {
		log.Fatal("fakes3: -access-key and -secret-key are required: signatures are always checked")
	}
	backend := s3mem.New()
	for _, b := range strings.Split(*buckets, ",") {
		if b == "" {
			continue
		}
		if err := backend.CreateBucket(context.Background(), b); err != nil {
			log.Fatalf("fakes3: create bucket %q: %v", b, err)
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithV4Auth(map[string]string{*ak: *sk}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("fakes3: listen %s: %v", *addr, err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, faker.Server()))
}

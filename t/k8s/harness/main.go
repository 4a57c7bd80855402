// harness: one binary holding the Kubernetes control plane that `make test-k8s` runs
// (a multi-call binary, like the old hyperkube). Each subcommand is one component, run as
// its own process, because every component installs the process's one signal handler.
//
//	harness apiserver --etcd-dir=D --etcd-port=P --etcd-peer-port=Q [kube-apiserver flags]
//	harness controller-manager [kube-controller-manager flags]
//	harness scheduler [kube-scheduler flags]
//	harness kubectl [kubectl args]
//	harness version
package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: harness apiserver|controller-manager|scheduler|kubectl|version [args]")
	os.Exit(2)
}

// startEtcd runs etcd embedded in this process, on loopback, for the API server beside it.
// UnsafeNoFsync: a test cluster, thrown away after the run.
func startEtcd(dir string, port, peerPort string) {
	cfg := embed.NewConfig()
	cfg.Name = "bpg-test"
	cfg.Dir = dir
	cfg.LogLevel = "warn"
	cfg.UnsafeNoFsync = true
	client, _ := url.Parse("http://127.0.0.1:" + port)
	peer, _ := url.Parse("http://127.0.0.1:" + peerPort)
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd:", err)
		os.Exit(1)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "etcd: not ready after 60 s")
		os.Exit(1)
	}
	go func() {
		err := <-e.Err()
		fmt.Fprintln(os.Stderr, "etcd:", err)
		os.Exit(1)
	}()
}

// takeFlag removes --name=value from args and returns the value.
func takeFlag(args []string, name string) (string, []string) {
	val, rest := "", args[:0:0]
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			val = v
			continue
		}
		rest = append(rest, a)
	}
	return val, rest
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	sub, args := os.Args[1], os.Args[2:]
	switch sub {
	case "apiserver":
		dir, args := takeFlag(args, "etcd-dir")
		port, args := takeFlag(args, "etcd-port")
		peer, args := takeFlag(args, "etcd-peer-port")
		if dir == "" || port == "" || peer == "" {
			fmt.Fprintln(os.Stderr, "harness apiserver needs --etcd-dir, --etcd-port and --etcd-peer-port")
			os.Exit(2)
		}
		startEtcd(dir, port, peer)
		cmd := apiserver.NewAPIServerCommand()
		cmd.SetArgs(append([]string{"--etcd-servers=http://127.0.0.1:" + port}, args...))
		os.Exit(cli.Run(cmd))
	case "controller-manager":
		cmd := kcm.NewControllerManagerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "scheduler":
		cmd := scheduler.NewSchedulerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "kubectl":
		os.Args = append([]string{"kubectl"}, args...)
		cmd := kubectlcmd.NewDefaultKubectlCommand()
		if err := cli.RunNoErrOutput(cmd); err != nil {
			kubectlutil.CheckErr(err)
		}
	case "version":
		fmt.Println(version.Get().GitVersion)
	default:
		usage()
	}
}

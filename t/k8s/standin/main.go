// standin: a STAND-IN for the Spark operator, used by t/k8s/cluster only when the real operator
// (t/k8s/operator, run with BPG_K8S_OPERATOR=real, the default) is not built. It plays the
// operator's state machine on SparkApplications, the way kubesim's simulated operator does:
// a new application gets a driver pod NAME-driver (the operator's labels, an ownerReference to the
// application, container spark-kubernetes-driver) and SUBMITTED; the driver Running makes it
// RUNNING, Succeeded makes it SUCCEEDING then COMPLETED, Failed FAILING then FAILED; a driver pod
// gone while the application is not finished makes it FAILED. Status goes through the status
// subresource. kwok moves the pods (t/k8s/kwok.yaml). It runs no spark-submit.
//
//	standin --kubeconfig=KC --namespaces=ns1,ns2
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

var gvr = schema.GroupVersionResource{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "sparkapplications"}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

type standin struct {
	dyn  dynamic.Interface
	kube kubernetes.Interface
}

func (s *standin) setStatus(ctx context.Context, app *unstructured.Unstructured, st map[string]interface{}) {
	u := app.DeepCopy()
	old, _, _ := unstructured.NestedMap(u.Object, "status")
	if old == nil {
		old = map[string]interface{}{}
	}
	for k, v := range st {
		old[k] = v
	}
	u.Object["status"] = old
	if _, err := s.dyn.Resource(gvr).Namespace(u.GetNamespace()).UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		log.Printf("status of %s/%s: %v", u.GetNamespace(), u.GetName(), err)
	}
}

func state(state string) map[string]interface{} {
	return map[string]interface{}{"state": state}
}

func (s *standin) submit(ctx context.Context, app *unstructured.Unstructured) {
	ns, name := app.GetNamespace(), app.GetName()
	sub := randHex(16)
	appID := "spark-" + randHex(16)
	sa, _, _ := unstructured.NestedString(app.Object, "spec", "driver", "serviceAccount")
	image, _, _ := unstructured.NestedString(app.Object, "spec", "image")
	version, _, _ := unstructured.NestedString(app.Object, "spec", "sparkVersion")
	if image == "" {
		image = "spark:" + version
	}
	ctrl := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-driver", Namespace: ns,
			Labels: map[string]string{
				"sparkoperator.k8s.io/app-name":                   name,
				"sparkoperator.k8s.io/launched-by-spark-operator": "true",
				"sparkoperator.k8s.io/submission-id":              sub,
				"spark-role":                                      "driver",
				"spark-app-selector":                              appID,
				"spark-app-name":                                  name,
				"spark-version":                                   version,
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "sparkoperator.k8s.io/v1beta2",
				Kind: "SparkApplication", Name: name, UID: app.GetUID(), Controller: &ctrl}},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:      corev1.RestartPolicyNever,
			ServiceAccountName: sa,
			Containers: []corev1.Container{{Name: "spark-kubernetes-driver", Image: image,
				Args: []string{"driver", "--properties-file", "/opt/spark/conf/spark.properties"}}},
		},
	}
	_, err := s.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		s.setStatus(ctx, app, map[string]interface{}{"applicationState": map[string]interface{}{
			"state": "SUBMISSION_FAILED", "errorMessage": "failed to create the driver pod: " + err.Error()},
			"submissionAttempts": int64(1), "lastSubmissionAttemptTime": now()})
		return
	}
	s.setStatus(ctx, app, map[string]interface{}{"applicationState": state("SUBMITTED"),
		"submissionID": sub, "sparkApplicationId": appID, "submissionAttempts": int64(1),
		"lastSubmissionAttemptTime": now(), "driverInfo": map[string]interface{}{"podName": name + "-driver"}})
}

func (s *standin) step(ctx context.Context, app *unstructured.Unstructured) {
	cur, _, _ := unstructured.NestedString(app.Object, "status", "applicationState", "state")
	switch cur {
	case "COMPLETED", "FAILED", "SUBMISSION_FAILED":
		return
	case "":
		s.submit(ctx, app)
		return
	case "SUCCEEDING":
		s.setStatus(ctx, app, map[string]interface{}{"applicationState": state("COMPLETED"), "terminationTime": now()})
		return
	case "FAILING":
		s.setStatus(ctx, app, map[string]interface{}{"applicationState": map[string]interface{}{"state": "FAILED",
			"errorMessage": "driver container failed"}, "terminationTime": now()})
		return
	}
	pod, err := s.kube.CoreV1().Pods(app.GetNamespace()).Get(ctx, app.GetName()+"-driver", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s.setStatus(ctx, app, map[string]interface{}{"applicationState": map[string]interface{}{"state": "FAILED",
			"errorMessage": "driver pod not found"}, "terminationTime": now()})
		return
	}
	if err != nil {
		return
	}
	switch pod.Status.Phase {
	case corev1.PodRunning:
		if cur == "SUBMITTED" {
			s.setStatus(ctx, app, map[string]interface{}{"applicationState": state("RUNNING"), "executionAttempts": int64(1)})
		}
	case corev1.PodSucceeded:
		s.setStatus(ctx, app, map[string]interface{}{"applicationState": state("SUCCEEDING"), "executionAttempts": int64(1)})
	case corev1.PodFailed:
		s.setStatus(ctx, app, map[string]interface{}{"applicationState": state("FAILING"), "executionAttempts": int64(1)})
	}
}

func main() {
	kc := flag.String("kubeconfig", "", "kubeconfig")
	nss := flag.String("namespaces", "default", "namespaces, comma-separated")
	interval := flag.Duration("interval", 500*time.Millisecond, "how often every application is looked at")
	flag.Parse()
	cfg, err := clientcmd.BuildConfigFromFlags("", *kc)
	if err != nil {
		log.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	s := &standin{dyn: dynamic.NewForConfigOrDie(cfg), kube: kubernetes.NewForConfigOrDie(cfg)}
	fmt.Println("standin: a stand-in for the Spark operator (not the real one), namespaces", *nss)
	ctx := context.Background()
	for {
		for _, ns := range strings.Split(*nss, ",") {
			lst, err := s.dyn.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				log.Printf("list %s: %v", ns, err)
				continue
			}
			for i := range lst.Items {
				s.step(ctx, &lst.Items[i])
			}
		}
		time.Sleep(*interval)
	}
}

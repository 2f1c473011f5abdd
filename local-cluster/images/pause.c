/*
 * The pod sandbox's process: holds the pod's namespaces open and does nothing else.
 * Sleeps until SIGTERM or SIGINT and then exits 0, so the kubelet can stop a sandbox at once.
 * Reaps children too, in case the pod shares its PID namespace (shareProcessNamespace).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }

int main(void) {
  signal(SIGTERM, stop);
  signal(SIGINT, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}

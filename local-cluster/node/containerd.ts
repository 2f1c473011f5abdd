// containerd (Debian's 1.6 package) with everything of its own under the node's directory:
// root, state, socket, CNI binaries and configuration. Settings from a trial on this machine
// kind (docs/control-plane.md, "Real pods"): restrict_oom_score_adj because root here lacks
// CAP_SYS_RESOURCE (runc otherwise fails every sandbox), cgroupfs (no systemd), overlayfs.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from '../processes.js';
import { waitFor } from '../../test-support/wait.js';
import { podBridge, podCidr, podGateway } from './layout.js';

export interface ContainerdSpec {
  dir: string;
  logDir: string;
  sandboxImage: string;
  /** name → binary: bridge, host-local, loopback, portmap. */
  cniPlugins: Record<string, string>;
  /** Chosen by the caller: the node record names it before containerd starts. */
  socket: string;
}

export interface Containerd {
  process: ManagedProcess;
  socket: string;
  /** Where containerd keeps pod network namespaces and task state (unmounted at teardown). */
  stateDir: string;
}

export function startContainerd({ dir, logDir, sandboxImage, cniPlugins, socket }: ContainerdSpec): Containerd {
  const home = join(dir, 'containerd');
  const cniBin = join(dir, 'cni', 'bin');
  const cniConf = join(dir, 'cni', 'conf');
  for (const path of [home, cniBin, cniConf]) mkdirSync(path, { recursive: true });
  for (const [name, binary] of Object.entries(cniPlugins)) symlinkSync(binary, join(cniBin, name));
  writeFileSync(join(cniConf, '10-cnpg-mcp.conflist'), JSON.stringify(cniConfig(join(dir, 'cni', 'ipam')), null, 2));

  const stateDir = join(home, 'state');
  const config = join(home, 'config.toml');
  writeFileSync(
    config,
    `version = 2
root = "${join(home, 'root')}"
state = "${stateDir}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${socket}.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${cniBin}"
    conf_dir = "${cniConf}"
`,
  );
  const process = startProcess({ name: 'containerd', command: 'containerd', args: ['--config', config], logDir });
  return { process, socket, stateDir };
}

/** The bridge plugin attaches pods to the harness's bridge, which already holds the gateway. */
function cniConfig(ipamDir: string) {
  return {
    cniVersion: '0.4.0',
    name: 'cnpg-mcp',
    plugins: [
      {
        type: 'bridge',
        bridge: podBridge,
        isGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: ipamDir,
          ranges: [[{ subnet: podCidr, gateway: podGateway }]],
          routes: [{ dst: '0.0.0.0/0', gw: podGateway }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

export async function waitForContainerd(containerd: Containerd, timeoutMs: number, signal: AbortSignal): Promise<void> {
  await waitFor(() => existsSync(containerd.socket), { what: `containerd to open ${containerd.socket}`, timeoutMs, signal });
}

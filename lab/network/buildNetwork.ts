import { ip, ipIn } from '../ip';
import { bridgeNamespace, hostLinks, machineLinks, subnetBase } from '../layout';

export interface NetworkPlan {
  prefix: string;
  subnet: string;
  hosts: { name: string; namespace: string; address: string }[];
}

/**
 * The lab network: a bridge inside its own namespace (the machine's network is left alone), a
 * veth from each host namespace into it, and one from the machine's namespace so the CLI, tests
 * and the dashboard reach the lab. Only the lab's /24 is routed to it from here.
 */
export async function buildNetwork(plan: NetworkPlan): Promise<{ machineAddress: string; machineLink: string }> {
  const br = bridgeNamespace(plan.prefix);
  await ip('netns', 'add', br);
  await ipIn(br, 'link', 'add', 'name', 'lab0', 'type', 'bridge');
  await ipIn(br, 'link', 'set', 'lab0', 'up');
  await ipIn(br, 'link', 'set', 'lo', 'up');
  for (const host of plan.hosts) {
    const { hostEnd, bridgeEnd } = hostLinks(plan.prefix, host.name);
    await ip('netns', 'add', host.namespace);
    await ip('link', 'add', hostEnd, 'netns', host.namespace, 'type', 'veth', 'peer', 'name', bridgeEnd, 'netns', br);
    await ipIn(br, 'link', 'set', bridgeEnd, 'master', 'lab0', 'up');
    await ipIn(host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', hostEnd);
    await ipIn(host.namespace, 'link', 'set', hostEnd, 'up');
    await ipIn(host.namespace, 'link', 'set', 'lo', 'up');
  }
  const machine = machineLinks(plan.prefix);
  const machineAddress = `${subnetBase(plan.subnet)}.1`;
  await ip('link', 'add', machine.hostEnd, 'type', 'veth', 'peer', 'name', machine.bridgeEnd, 'netns', br);
  await ipIn(br, 'link', 'set', machine.bridgeEnd, 'master', 'lab0', 'up');
  // The address's /24 gives the one route to the lab; nothing else on the machine changes.
  await ip('addr', 'add', `${machineAddress}/24`, 'dev', machine.hostEnd);
  await ip('link', 'set', machine.hostEnd, 'up');
  return { machineAddress, machineLink: machine.hostEnd };
}

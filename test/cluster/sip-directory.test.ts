// ClusterDeviceDirectory: the registrar's and the B2BUA's view of the cluster's phones, served from an index of the
// live configuration. Lookups by device name, line and digest user give what a scan of the configuration gives, and
// follow every replacement of the configuration (a phone added, removed, renumbered, its digest user changed) and
// of the loaded security mode.
import { expect } from 'chai';
import { ClusterDeviceDirectory } from '../../engine/cluster/sip-directory.js';
import { configToInput, normalizeClusterConfig, type ClusterConfig, type ClusterConfigInput, type ClusterSecurityMode, type DeviceInput } from '../../engine/cluster/config.js';

function config(devices: Record<string, DeviceInput>, mode: ClusterSecurityMode = 'mixed'): ClusterConfig {
  return normalizeClusterConfig({ securityMode: mode, phoneProfiles: { Encrypted: { deviceSecurityMode: 'encrypted' } }, devices } as ClusterConfigInput);
}

describe('cluster SIP directory (indexed)', () => {
  const base: Record<string, DeviceInput> = {
    alice: { mac: '00AA00000001', model: 8865, profile: 'Encrypted', line: 1001, digestUser: { userId: 'Alice', password: 'pw' } },
    bob: { mac: '00AA00000002', model: 8865, line: 1002 },
    carol: { mac: '00AA00000003', model: 7975, lines: [1003, 1099] },
    dave: { mac: '00AA00000004', model: 7975, lines: [1004, 1099] },
  };

  function directory(c: ClusterConfig, mode: ClusterSecurityMode = 'mixed') {
    const view = { cfg: c, mode };
    const dir = new ClusterDeviceDirectory({ config: () => view.cfg, securityMode: () => view.mode });
    return { dir, view };
  }

  it('finds phones by name (any case), by line (only when one phone has it) and by digest user', () => {
    const { dir } = directory(config(base));
    expect(dir.size).to.equal(4);
    expect(dir.device('sep00aa00000001')).to.deep.include({ name: 'SEP00AA00000001', lines: ['1001'], digestUser: 'Alice', model: '8865' });
    expect(dir.device('SEP00AA00000001')!.securityProfile).to.include({ deviceSecurityMode: 'encrypted', transportType: 'TLS' });
    expect(dir.device('SEP00AA0000000F')).to.equal(undefined);
    expect(dir.deviceByLine('1003')?.name).to.equal('SEP00AA00000003');
    expect(dir.deviceByLine('1099'), 'a shared line names no single phone').to.equal(undefined);
    expect(dir.deviceByLine('2000')).to.equal(undefined);
    expect(dir.deviceByDigestUser('alice')?.name).to.equal('SEP00AA00000001');
    expect(dir.user('ALICE')).to.deep.equal({ userId: 'Alice', digestCredentials: 'pw' });
    expect(dir.user('bob')).to.equal(undefined);
    expect(dir.profileOf({ name: 'sep00aa00000002', lines: [], securityProfile: 'x' }).deviceSecurityMode).to.equal('non-secure');
  });

  it('follows a replaced configuration: phones added, removed, renumbered, digest users moved', () => {
    const { dir, view } = directory(config(base));
    expect(dir.deviceByLine('1002')?.name).to.equal('SEP00AA00000002');
    const input = configToInput(view.cfg);
    delete input.devices!.bob;
    input.devices!.erin = { mac: '00AA00000005', model: 8865, line: 1002, digestUser: { userId: 'alice' } };
    input.devices!.alice = { ...input.devices!.alice!, digestUser: { userId: 'alice2' }, lines: [1001] };
    input.devices!.dave = { ...input.devices!.dave!, lines: [1004] };
    view.cfg = normalizeClusterConfig(input);
    expect(dir.size).to.equal(4);
    expect(dir.device('SEP00AA00000002')).to.equal(undefined);
    expect(dir.deviceByLine('1002')?.name).to.equal('SEP00AA00000005');
    expect(dir.deviceByLine('1099')?.name, 'the line is no longer shared').to.equal('SEP00AA00000003');
    expect(dir.deviceByDigestUser('alice')?.name).to.equal('SEP00AA00000005');
    expect(dir.deviceByDigestUser('alice2')?.name).to.equal('SEP00AA00000001');
    expect(dir.user('alice')).to.deep.equal({ userId: 'alice' });
  });

  it('applies the loaded security mode at each lookup (a non-secure cluster admits every phone as Non Secure)', () => {
    const { dir, view } = directory(config(base));
    expect(dir.device('SEP00AA00000001')!.securityProfile).to.include({ deviceSecurityMode: 'encrypted' });
    view.mode = 'non-secure';
    expect(dir.device('SEP00AA00000001')!.securityProfile).to.include({ deviceSecurityMode: 'non-secure', transportType: 'TCP' });
  });

  it('gives the same answers as a scan over a large generated fleet', () => {
    const devices: Record<string, DeviceInput> = {};
    for (let i = 0; i < 3000; i++) devices[`p${i}`] = { mac: (0xaa0000000000 + i).toString(16).toUpperCase(), line: 10000 + (i % 2900), ...(i % 7 === 0 ? { digestUser: { userId: `u${i}` } } : {}) };
    const c = config(devices);
    const { dir } = directory(c);
    const all = Object.values(c.devices);
    for (let i = 0; i < 3000; i += 37) {
      const d = all[i]!;
      expect(dir.device(d.name.toLowerCase())?.name).to.equal(d.name);
      const dn = d.lines[0]!.dn;
      const owners = all.filter((x) => x.lines.some((l) => l.dn === dn));
      expect(dir.deviceByLine(dn)?.name).to.equal(owners.length === 1 ? owners[0]!.name : undefined);
      if (d.digestUser) expect(dir.deviceByDigestUser(d.digestUser.userId.toUpperCase())?.name).to.equal(d.name);
    }
  });
});

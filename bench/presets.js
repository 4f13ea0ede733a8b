'use strict';
// The tools the bench knows by name. `second` is another tool whose closure overlaps the first's:
// its cold run, after the first tool ran, shows what a tool sharing wheels costs. `standIns` are
// empty pure wheels (name, version) the bench adds to the find-links for environments the wheel
// folder does not serve. `lockEnvironments`: the wheels serve every default platform x CPython 3.9-3.13, so the
// bench also times the lock of all 20 environments.
const PRESETS = {
  example: {
    requirements: ['hellotool==1.0.0'],
    script: 'hello',
    args: ['--version'],
    second: { requirements: ['hellotool==1.0.0', 'hello-shout==0.3'], script: 'hello', args: ['--version'] },
    fixtures: true,
    lockEnvironments: true,
  },
  black: {
    requirements: ['black==23.1.0'],
    script: 'black',
    args: ['--help'],
    // black's closure plus one wheel: 6 of its 7 wheels are black's.
    second: { requirements: ['black==23.1.0', 'wheel==0.38.4'], script: 'wheel', args: ['version'] },
    // The wheelhouse lacks what black needs below Python 3.11: pure stand-ins let every environment of the
    // multi-environment lock resolve.
    standIns: [
      { name: 'tomli', version: '2.0.1' },
      { name: 'typing_extensions', version: '4.4.0' },
    ],
    lockEnvironments: true,
  },
  ansible: {
    requirements: ['ansible-core==2.14.18'],
    script: 'ansible',
    args: ['--version'],
    second: { requirements: ['ansible-core==2.14.18', 'wheel==0.38.4'], script: 'wheel', args: ['version'] },
  },
};

module.exports = { PRESETS };

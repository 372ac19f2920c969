// The eos-sim version every report and replay file carries: the package's own, so a report names the
// build that wrote it.
import pkg from '../../package.json' with { type: 'json' };

export const EOS_SIM_VERSION: string = pkg.version;

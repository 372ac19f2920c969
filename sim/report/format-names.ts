// The report formats' names, apart from their renderers (formats.ts), so the command line can offer them
// in --help without loading the renderers and their libraries.
export const REPORT_FORMATS = ['html', 'junit', 'json', 'text'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

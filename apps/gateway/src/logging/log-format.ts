/** LOG_FORMAT: how log lines are written. `auto` = `pretty` on a terminal, `json` otherwise (files, pipes, collectors). */
export type LogFormatSetting = 'pretty' | 'json' | 'auto';
export type LogFormat = Exclude<LogFormatSetting, 'auto'>;

export function resolveLogFormat(setting: LogFormatSetting, stdoutIsTty: boolean): LogFormat {
  if (setting === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return setting;
}

/** Shared (server and client safe) i18n surface. Server: `~/i18n/server`; client hooks: `~/i18n/client`. */
export * from "./config";
export { createT, createFormatters, DICTIONARIES, type Dictionary, type MessageKey, type TFunction, type Formatters, type MessageVars } from "./messages";

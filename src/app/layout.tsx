import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { HydrationMarker } from "~/components/layout/hydration-marker";
import { SiteHeader } from "~/components/layout/site-header";
import { I18nProvider } from "~/i18n/client";
import { getT } from "~/i18n/server";
import { TRPCReactProvider } from "~/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Metergate", template: "%s · Metergate" },
  description: "LLM usage gateway: relay, metering and cost per key.",
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#fafafa" },
    { media: "(prefers-color-scheme: dark)", color: "#09090b" },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { t, locale } = await getT();
  return (
    <html lang={locale}>
      <body className="flex min-h-dvh flex-col">
        <HydrationMarker />
        <I18nProvider locale={locale}>
          <TRPCReactProvider>
            <a
              href="#main"
              className="sr-only rounded-lg bg-white px-4 py-2 text-sm font-semibold text-indigo-700 shadow-lg ring-2 ring-indigo-600 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 dark:bg-zinc-900 dark:text-indigo-300"
            >
              {t("nav.skip")}
            </a>
            <SiteHeader />
            {children}
          </TRPCReactProvider>
        </I18nProvider>
      </body>
    </html>
  );
}

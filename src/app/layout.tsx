import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { HydrationMarker } from "~/components/layout/hydration-marker";
import { SiteHeader } from "~/components/layout/site-header";
import { I18nProvider } from "~/i18n/client";
import { getLocale } from "~/i18n/server";
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
  const locale = await getLocale();
  return (
    <html lang={locale}>
      <body className="flex min-h-dvh flex-col">
        <HydrationMarker />
        <I18nProvider locale={locale}>
          <TRPCReactProvider>
            <SiteHeader />
            {children}
          </TRPCReactProvider>
        </I18nProvider>
      </body>
    </html>
  );
}

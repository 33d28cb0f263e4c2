import Link from "next/link";
import { PageContainer } from "~/components/layout/page-container";
import { buttonClass } from "~/components/ui/button";

const FEATURES = [
  { title: "Drop-in relay", text: "Point the Anthropic or OpenAI SDK at Metergate; streams pass through untouched." },
  { title: "Every token counted", text: "Input, output, cache writes and reads, per key and model, priced in micro-dollars." },
  { title: "Self-service lookup", text: "Key holders check their own usage and cost by API ID, no account needed." },
];

export default function LandingPage() {
  return (
    <PageContainer className="flex flex-1 flex-col justify-center">
      <div className="max-w-2xl">
        <p className="text-sm font-semibold text-indigo-600 dark:text-indigo-400">LLM usage gateway</p>
        <h1 className="mt-2 text-4xl font-bold tracking-tight sm:text-5xl">Know what every API key costs.</h1>
        <p className="mt-4 text-lg text-zinc-600 dark:text-zinc-400">
          Metergate relays your team&apos;s LLM traffic, meters every request and shows usage and cost per tenant,
          key and model.
        </p>
        <div className="mt-8 flex flex-wrap gap-3">
          <Link href="/signup" className={buttonClass("primary", undefined, "lg")}>
            Create an account
          </Link>
          <Link href="/signin" className={buttonClass("secondary", undefined, "lg")}>
            Sign in
          </Link>
          <Link href="/lookup" className={buttonClass("ghost", undefined, "lg")}>
            Look up a key →
          </Link>
        </div>
      </div>
      <ul className="mt-14 grid gap-4 sm:grid-cols-3">
        {FEATURES.map((f) => (
          <li
            key={f.title}
            className="rounded-2xl border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900"
          >
            <h2 className="font-semibold">{f.title}</h2>
            <p className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">{f.text}</p>
          </li>
        ))}
      </ul>
    </PageContainer>
  );
}

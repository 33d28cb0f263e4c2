-- OpenAI prompt_cache_retention the request asked for, kept so reprice and the cost explanation see it.
ALTER TABLE "RequestLog" ADD COLUMN "promptCacheRetention" TEXT;

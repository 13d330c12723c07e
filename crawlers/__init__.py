"""Crawling: source registry, polite fetching, feeds, Scrapy listings, APIs, extraction."""

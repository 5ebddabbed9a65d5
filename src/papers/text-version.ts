/**
 * SQL for a digest of what the topic model and readers' tastes read of a paper (its text and arXiv categories), for
 * the per-process caches of what they work out from it: it changes when those do, not when an ingest poll brings new
 * upvotes (a row version would, and every process would classify the window's papers again after each poll).
 *
 * @param alias the `papers` row's alias in the statement
 */
export const textVersionSql = (alias: string) =>
  `md5(jsonb_build_array(${alias}.title, ${alias}.summary, ${alias}.ai_keywords, ${alias}.arxiv_categories, ${alias}.arxiv_primary_category)::text)`

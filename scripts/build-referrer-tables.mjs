#!/usr/bin/env node
// Builds the traffic classifier's search-engine, social-network and AI-assistant tables from
// Matomo's CC0 lists (matomo-org/searchengine-and-social-list) copied into
// ../shared/data/referrers/. The output is TypeScript, so the server needs no YAML parser.
//
//   node scripts/build-referrer-tables.mjs [path/to/referrers]
//
// Only the CC0 list files are read; the GPL test corpora next to them never feed a table.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.resolve(process.argv[2] ?? path.join(repoRoot, '..', 'shared', 'data', 'referrers'));
const outputDir = path.join(repoRoot, 'server', 'tracking', 'classification', 'tables', 'generated');

/**
 * Reads the block-style YAML subset the Matomo lists use: nested mappings and sequences by
 * indentation, `- ` items, `key: value` pairs, quoted or plain scalars, `[]`, and comments.
 */
function readYamlSubset(text) {
  const lines = text
    .split(/\r?\n/)
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, content: raw.trim() }))
    .filter((line) => line.content !== '' && !line.content.startsWith('#'));
  let position = 0;

  function scalar(token) {
    if (token === '[]') return [];
    if (token === '') return null;
    if (token.startsWith("'") && token.endsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
    if (token.startsWith('"') && token.endsWith('"')) return JSON.parse(token);
    return token;
  }

  function isMappingLine(content) {
    return /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^'"\s][^:]*?)\s*:(\s|$)/.test(content);
  }

  function splitKey(content) {
    const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:]+?)\s*:(?:\s+(.*))?$/.exec(content);
    if (!match) throw new Error(`not a mapping line: ${content}`);
    return { key: String(scalar(match[1])), rest: match[2] ?? '' };
  }

  function block(indent) {
    const first = lines[position];
    if (!first || first.indent < indent) return null;
    return first.content.startsWith('-') ? sequence(first.indent) : mapping(first.indent);
  }

  function sequence(indent) {
    const items = [];
    while (lines[position] && lines[position].indent === indent && lines[position].content.startsWith('-')) {
      const line = lines[position];
      const rest = line.content.slice(1).trim();
      if (isMappingLine(rest)) {
        // `- key: value` opens a mapping whose keys line up with this first key.
        lines[position] = { indent: indent + line.content.length - rest.length, content: rest };
        items.push(mapping(lines[position].indent));
        continue;
      }
      position += 1;
      items.push(rest === '' ? block(indent + 1) : scalar(rest));
    }
    return items;
  }

  function mapping(indent) {
    const result = {};
    while (lines[position] && lines[position].indent === indent && !lines[position].content.startsWith('-')) {
      const { key, rest } = splitKey(lines[position].content);
      position += 1;
      result[key] = rest === '' ? block(indent + 1) : scalar(rest);
    }
    return result;
  }

  const document = block(0);
  if (position !== lines.length) throw new Error(`unread line: ${lines[position].content}`);
  return document;
}

function readList(fileName) {
  return readYamlSubset(readFileSync(path.join(sourceDir, fileName), 'utf8'));
}

function stringList(value, where) {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new Error(`${where}: expected a list of strings`);
  }
  return value;
}

/** A parameter or hidden-keyword entry written as /regex/ must compile as a JavaScript RegExp. */
function checkPatterns(patterns, where) {
  for (const pattern of patterns) {
    if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/')) {
      try {
        new RegExp(pattern.slice(1, -1));
      } catch (error) {
        throw new Error(`${where}: ${pattern} is not a JavaScript regex (${error.message})`);
      }
    }
  }
  return patterns;
}

/** Names are stored decoded: the list writes 'Google+' as 'Google%2B' to keep YAML happy. */
function listName(name) {
  return decodeURIComponent(name);
}

function searchEngineBlocks(list) {
  const blocks = [];
  for (const [name, definitions] of Object.entries(list)) {
    for (const [index, definition] of definitions.entries()) {
      const where = `${name}[${index}]`;
      const block = {
        name: listName(name),
        urls: stringList(definition.urls, `${where}.urls`),
        params: checkPatterns(stringList(definition.params, `${where}.params`), `${where}.params`),
      };
      const hidden = checkPatterns(stringList(definition.hiddenkeyword, `${where}.hiddenkeyword`), where);
      if (hidden.length > 0) block.hiddenkeyword = hidden;
      const charsets = stringList(definition.charsets, `${where}.charsets`);
      if (charsets.length > 0) block.charsets = charsets;
      blocks.push(block);
    }
  }
  return blocks;
}

function siteLists(list) {
  return Object.entries(list).map(([name, urls]) => ({ name: listName(name), urls: stringList(urls, name) }));
}

function literal(value) {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{ ${Object.entries(value).map(([key, item]) => `${key}: ${literal(item)}`).join(', ')} }`;
}

function writeTable(fileName, constName, typeName, sourceFile, rows) {
  const text = [
    `// Generated by scripts/build-referrer-tables.mjs from ${sourceFile}`,
    '// (matomo-org/searchengine-and-social-list, CC0-1.0). Do not edit: change the script or the list.',
    '',
    `import type { ${typeName} } from '../matomoTypes.js';`,
    '',
    `export const ${constName}: readonly ${typeName}[] = [`,
    ...rows.map((row) => `  ${literal(row)},`),
    '];',
    '',
  ].join('\n');
  writeFileSync(path.join(outputDir, fileName), text);
  console.log(`${fileName}: ${rows.length} entries`);
}

writeTable(
  'matomoSearchEngines.ts',
  'MATOMO_SEARCH_ENGINES',
  'MatomoSearchEngine',
  'matomo-list-SearchEngines.yml',
  searchEngineBlocks(readList('matomo-list-SearchEngines.yml')),
);
writeTable('matomoSocials.ts', 'MATOMO_SOCIALS', 'MatomoSite', 'matomo-list-Socials.yml', siteLists(readList('matomo-list-Socials.yml')));
writeTable(
  'matomoAiAssistants.ts',
  'MATOMO_AI_ASSISTANTS',
  'MatomoSite',
  'matomo-list-AIAssistants.yml',
  siteLists(readList('matomo-list-AIAssistants.yml')),
);

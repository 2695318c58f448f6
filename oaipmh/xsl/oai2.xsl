<?xml version="1.0" encoding="UTF-8"?>
<!-- OAI-PMH responses as readable HTML pages with links between the verbs (in the manner of DSpace's
     oai2.xsl). Applied by the portal itself (oaipmh/views.py, lxml) when a browser asks for HTML;
     harvesters get the XML unchanged. Parameters: css (the stylesheet URL), site (the site name). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:oai="http://www.openarchives.org/OAI/2.0/"
    exclude-result-prefixes="oai">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>
  <xsl:param name="css" select="''"/>
  <xsl:param name="oaicss" select="''"/>
  <xsl:param name="site" select="'Repository'"/>
  <!-- links stay on the host the page was read from (the baseURL names SITE_URL's) -->
  <xsl:param name="endpoint" select="/oai:OAI-PMH/oai:request"/>
  <xsl:variable name="base" select="$endpoint"/>
  <xsl:variable name="verb" select="/oai:OAI-PMH/oai:request/@verb"/>

  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>OAI-PMH <xsl:value-of select="$verb"/> · <xsl:value-of select="$site"/></title>
        <xsl:if test="$css"><link rel="stylesheet" href="{$css}"/></xsl:if>
        <xsl:if test="$oaicss"><link rel="stylesheet" href="{$oaicss}"/></xsl:if>
      </head>
      <body class="oai-page">
        <main id="main" class="oai">
          <h1>OAI-PMH <xsl:value-of select="$verb"/></h1>
          <nav aria-label="OAI-PMH verbs" class="oai-verbs">
            <ul>
              <li><a href="{$base}?verb=Identify">Identify</a></li>
              <li><a href="{$base}?verb=ListMetadataFormats">ListMetadataFormats</a></li>
              <li><a href="{$base}?verb=ListSets">ListSets</a></li>
              <li><a href="{$base}?verb=ListIdentifiers&amp;metadataPrefix=oai_dc">ListIdentifiers</a></li>
              <li><a href="{$base}?verb=ListRecords&amp;metadataPrefix=oai_dc">ListRecords</a></li>
            </ul>
          </nav>
          <p class="oai-note">This is an OAI-PMH endpoint for harvesters, shown as a page for people. Harvesters
            receive the same response as XML. Response date: <xsl:value-of select="/oai:OAI-PMH/oai:responseDate"/>.</p>
          <xsl:apply-templates select="/oai:OAI-PMH/oai:error"/>
          <xsl:apply-templates select="/oai:OAI-PMH/oai:Identify | /oai:OAI-PMH/oai:ListMetadataFormats | /oai:OAI-PMH/oai:ListSets | /oai:OAI-PMH/oai:ListIdentifiers | /oai:OAI-PMH/oai:ListRecords | /oai:OAI-PMH/oai:GetRecord"/>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="oai:error">
    <div class="message error oai-error" role="alert">
      <strong><xsl:value-of select="@code"/></strong>: <xsl:value-of select="."/>
    </div>
  </xsl:template>

  <xsl:template match="oai:Identify">
    <table class="oai-table">
      <xsl:for-each select="*[not(self::oai:description)]">
        <tr><th scope="row"><xsl:value-of select="local-name()"/></th><td><xsl:value-of select="."/></td></tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="oai:ListMetadataFormats">
    <table class="oai-table">
      <thead><tr><th scope="col">Prefix</th><th scope="col">Schema</th><th scope="col">Namespace</th><th scope="col">Records</th></tr></thead>
      <tbody>
        <xsl:for-each select="oai:metadataFormat">
          <tr>
            <td><xsl:value-of select="oai:metadataPrefix"/></td>
            <td><a href="{oai:schema}"><xsl:value-of select="oai:schema"/></a></td>
            <td><xsl:value-of select="oai:metadataNamespace"/></td>
            <td><a href="{$base}?verb=ListRecords&amp;metadataPrefix={oai:metadataPrefix}">List records</a></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="oai:ListSets">
    <table class="oai-table">
      <thead><tr><th scope="col">Set</th><th scope="col">Name</th><th scope="col">Records</th></tr></thead>
      <tbody>
        <xsl:for-each select="oai:set">
          <tr>
            <td><xsl:value-of select="oai:setSpec"/></td>
            <td><xsl:value-of select="oai:setName"/></td>
            <td><a href="{$base}?verb=ListRecords&amp;metadataPrefix=oai_dc&amp;set={oai:setSpec}">List records</a></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <xsl:template match="oai:ListIdentifiers">
    <ol class="oai-records"><xsl:for-each select="oai:header"><li><xsl:apply-templates select="."/></li></xsl:for-each></ol>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <xsl:template match="oai:ListRecords | oai:GetRecord">
    <ol class="oai-records">
      <xsl:for-each select="oai:record">
        <li class="oai-record">
          <xsl:apply-templates select="oai:header"/>
          <xsl:if test="oai:metadata">
            <details class="oai-metadata" open="open">
              <summary>Metadata</summary>
              <xsl:apply-templates select="oai:metadata/*" mode="show"/>
            </details>
          </xsl:if>
        </li>
      </xsl:for-each>
    </ol>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <xsl:template match="oai:header">
    <div class="oai-header">
      <xsl:if test="@status = 'deleted'"><p class="tag">deleted</p></xsl:if>
      <p><strong><xsl:value-of select="oai:identifier"/></strong> · <xsl:value-of select="oai:datestamp"/></p>
      <p class="oai-links">
        <a href="{$base}?verb=GetRecord&amp;metadataPrefix=oai_dc&amp;identifier={oai:identifier}">GetRecord (Dublin Core)</a> ·
        <a href="{$base}?verb=ListMetadataFormats&amp;identifier={oai:identifier}">formats</a>
        <xsl:for-each select="oai:setSpec"> · set <a href="{$base}?verb=ListRecords&amp;metadataPrefix=oai_dc&amp;set={.}"><xsl:value-of select="."/></a></xsl:for-each>
      </p>
    </div>
  </xsl:template>

  <xsl:template match="oai:resumptionToken">
    <p class="oai-resumption">
      <xsl:if test="@completeListSize"><xsl:value-of select="@completeListSize"/> in all. </xsl:if>
      <xsl:if test="normalize-space(.)">
        <a href="{$base}?verb={$verb}&amp;resumptionToken={.}" rel="next">Next page</a>
      </xsl:if>
    </p>
  </xsl:template>

  <!-- Any metadata format: element names and their texts, nested. -->
  <xsl:template match="*" mode="show">
    <dl class="oai-element">
      <dt><xsl:value-of select="local-name()"/><xsl:for-each select="@*"><span class="oai-attr"><xsl:text> </xsl:text><xsl:value-of select="local-name()"/>=<xsl:value-of select="."/></span></xsl:for-each></dt>
      <dd>
        <xsl:choose>
          <xsl:when test="*"><xsl:apply-templates select="*" mode="show"/></xsl:when>
          <xsl:when test="starts-with(normalize-space(.), 'http://') or starts-with(normalize-space(.), 'https://')"><a href="{normalize-space(.)}"><xsl:value-of select="."/></a></xsl:when>
          <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
        </xsl:choose>
      </dd>
    </dl>
  </xsl:template>
</xsl:stylesheet>

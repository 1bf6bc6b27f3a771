"""Demo content for Vivold: topics, authors and articles used to seed a fresh site.

All analysts are fictional. Articles 1-4 draw on reported events; articles 5-9 are
general analysis and avoid precise figures or attributed quotes.
"""

TOPICS = [
    {
        "name": "AI Strategy",
        "slug": "ai-strategy",
        "description": (
            "How technology companies turn models, data and distribution into lasting advantage. "
            "We look past the launch announcements to the business logic underneath."
        ),
    },
    {
        "name": "Geopolitics & Regulation",
        "slug": "geopolitics-regulation",
        "description": (
            "Export controls, sovereignty agendas and the rules that decide who may build and use "
            "advanced AI – and where."
        ),
    },
    {
        "name": "Devices & Platforms",
        "slug": "devices-platforms",
        "description": (
            "Operating systems, phones, glasses and app ecosystems, as AI moves from distant data "
            "centres onto the hardware people carry every day."
        ),
    },
    {
        "name": "Markets & Capital",
        "slug": "markets-capital",
        "description": (
            "The money behind the AI build-out: capital expenditure, power, pricing and what "
            "investors are really underwriting."
        ),
    },
]

AUTHORS = [
    {
        "name": "Priya Ramanathan",
        "slug": "priya-ramanathan",
        "role": "Principal analyst, AI strategy",
    },
    {
        "name": "Tomás Whitfield",
        "slug": "tomas-whitfield",
        "role": "Senior analyst, technology policy",
    },
    {
        "name": "Hannah Okafor",
        "slug": "hannah-okafor",
        "role": "Research director, devices and markets",
    },
]

ARTICLES = [
    # 1
    {
        "slug": "meta-free-llama-default-ai-layer",
        "title": "Meta is giving Llama away so that it can own the layer every enterprise builds on",
        "dek": (
            "By pricing its models at zero, Meta is shifting AI profits away from model access and "
            "towards the platforms, devices and tooling it controls."
        ),
        "key_insights": (
            "Meta is using free Llama releases to drain pricing power from paid model providers and to "
            "make its model family the default foundation for enterprise AI. Successive versions have "
            "lowered the barriers of capability, deployment location and running cost. Capex guidance of "
            "about US$145bn, an assistant inside WhatsApp and a push into Ray-Ban smart glasses show where "
            "Meta expects the return to come from."
        ),
        "body": """<p>Most frontier AI developers treat their best model as the product. Meta treats it as a loss leader. By publishing Llama's weights at no charge under its own community licence, the company is betting that the real value in AI will sit above and below the model – in the applications companies build and in the infrastructure and distribution that carry them – rather than in metered access to the model itself.</p>
<h2>Why a free model can be a strategic weapon</h2>
<p>When a capable model costs nothing to license, rivals who sell API access lose pricing power. Enterprises that once budgeted for per-token fees can redirect that money into fine-tuning, data pipelines and bespoke tooling. Meta does not capture that spending directly, but it shapes the ecosystem: developers learn its model family, tooling grows up around it, and Llama becomes the assumed starting point. It is a familiar platform play – make the complement cheap so that the thing you control becomes more valuable.</p>
<h2>Three releases, one direction</h2>
<p>Each major version has pushed the same lever a little further:</p>
<ul>
<li><strong>Llama 3.1 (July 2024)</strong> brought a 405-billion-parameter model into the open and, just as importantly, allowed licensees to use its outputs to train their own smaller models. A single large model became a teacher for countless cheaper ones.</li>
<li><strong>Llama 3.2 (September 2024)</strong> added image understanding and introduced 1B and 3B variants compact enough to run on phones and edge hardware, taking some workloads out of the data centre altogether.</li>
<li><strong>Llama 4 (April 2025)</strong> adopted a Mixture-of-Experts architecture, in which only part of the network is active for a given request. For anyone hosting the model, that means a lower inference bill per query.</li>
</ul>
<p>Read together, the releases lower three different barriers: capability, deployment location and running cost.</p>
<h2>Paying for generosity</h2>
<p>None of this is cheap for Meta. In early 2026 the company reorganised, removing around 8,000 roles and moving thousands of employees towards its AI groups, while lifting its capital-expenditure guidance from US$125bn to roughly US$145bn. Most of the increase is destined for AI data centres. Investors are being asked to accept that the return will arrive indirectly – through engagement, advertising and new devices – rather than from selling model access.</p>
<h3>Distribution as the proof point</h3>
<p>Meta's own products show how it intends to collect. The 405B Llama model now sits inside WhatsApp, handing an enormous user base a capable assistant at no charge. On hardware, the company has set a goal of 10 million wearables, built around its Ray-Ban smart-glasses range and a business-focused "Wearables for Work" offer. Both moves put Meta's AI at the point of use, where habits form and are hard to break.</p>
<h2>What enterprises should weigh</h2>
<ul>
<li>Free licensing shifts cost rather than removing it: hosting, evaluation, security and specialist staff still have to be funded.</li>
<li>The community licence is not a conventional open-source licence, so legal teams should check its terms against planned uses.</li>
<li>Standardising on one model family brings ecosystem benefits, but also a quieter form of dependence on Meta's roadmap.</li>
</ul>
<p>For now, Meta's wager looks coherent. If models keep getting cheaper, advantage migrates to whoever owns the users, the devices and the default tooling – and Meta is spending heavily to make sure that owner is Meta.</p>""",
        "author": "priya-ramanathan",
        "topics": ["ai-strategy", "markets-capital"],
        "days_ago": 3,
        "related": [
            "open-weight-models-enterprise-economics",
            "ai-data-centre-capex-power-constraint",
            "on-device-ai-phones-glasses",
        ],
    },
    # 2
    {
        "slug": "anthropic-export-order-ai-sovereignty-backlash",
        "title": "One US directive switched off Anthropic's newest models abroad, and allies are rethinking AI dependence",
        "dek": (
            "Fable 5 and Mythos 5 were withdrawn for foreign nationals four days after launch, turning AI "
            "sovereignty from a talking point into a board-level risk."
        ),
        "key_insights": (
            "A US export-control directive forced Anthropic to disable its newly launched Fable 5 and Mythos 5 "
            "models for foreign nationals on June 13, citing a jailbreak whose severity Anthropic disputes. "
            "For Europe and Canada, the episode turned AI sovereignty from a theoretical worry into a "
            "demonstrated risk. Expect it to strengthen the case for local capacity, self-hosted open-weight "
            "models and multi-vendor hedging."
        ),
        "body": """<p>For most of the past two years, the debate about AI sovereignty in Europe and Canada has felt somewhat abstract. On June 13 it became concrete. A US export-control directive obliged Anthropic to switch off its two newest models, Fable 5 and Mythos 5, for foreign nationals – only four days after they had gone live. Customers outside the US who had begun building on them lost access almost overnight.</p>
<h2>What happened</h2>
<p>Washington justified the order by pointing to a jailbreak technique. Anthropic complied while contesting how serious the weakness really was. Because the rule was framed around citizenship rather than location, its reach was wide: nationality is not something an API can easily check, so in practice a restriction of this kind tends to hit anyone who cannot be positively cleared.</p>
<h2>Why allies reacted so sharply</h2>
<p>The response in European capitals and in Ottawa was alarm rather than surprise. Officials have long warned that relying on a handful of American providers carries political risk; the June episode showed how fast that risk can materialise. Several features stood out:</p>
<ul>
<li><strong>Speed:</strong> access was withdrawn within days of launch, with no transition period for organisations that had started integrating the models.</li>
<li><strong>Unilateralism:</strong> the decision was taken by one government, on its own security reasoning, with no visible consultation with the countries whose firms were affected.</li>
<li><strong>Precedent:</strong> if a jailbreak finding can justify withdrawal once, it can do so again, for any provider under US jurisdiction.</li>
</ul>
<h2>The sovereignty argument gets stronger</h2>
<p>Advocates of domestic or regional AI capacity have often struggled to justify the cost, given that US models were generally better and readily available. That calculation now has a new variable: availability cannot be assumed. Expect the episode to be cited in budget debates over public compute, in support for local model developers and in procurement rules that favour suppliers able to guarantee continuity of service.</p>
<blockquote>The lesson many governments will draw is not that American models are unsafe, but that access to them is conditional.</blockquote>
<h3>Limits of the backlash</h3>
<p>Rhetoric is likely to run ahead of capability. Building competitive frontier models takes capital, chips and talent that few countries can assemble quickly – and many of those chips are themselves subject to US controls. In the near term, the realistic responses are hedges: architectures that can swap between vendors, wider use of open-weight models that can be hosted locally, and contracts that specify notice periods and fallbacks.</p>
<h2>What to watch</h2>
<ul>
<li>Whether the US narrows the order or publishes clearer criteria for future restrictions.</li>
<li>How other US model providers adjust their terms for customers outside the country.</li>
<li>Whether European and Canadian funding for sovereign compute speeds up in response.</li>
</ul>
<p>Whatever becomes of Fable 5 and Mythos 5, the episode has shifted the burden of proof. Depending on a foreign frontier model is now a risk that boards and ministers will expect to see managed explicitly, not waved through.</p>""",
        "author": "tomas-whitfield",
        "topics": ["geopolitics-regulation", "ai-strategy"],
        "days_ago": 5,
        "related": [
            "us-order-anthropic-models-compliance-lessons",
            "eu-ai-sovereignty-procurement",
        ],
    },
    # 3
    {
        "slug": "huawei-harmonyos-7-agent-native-china",
        "title": "Huawei rebuilds HarmonyOS 7 around agents as Apple's Siri AI stays locked out of China",
        "dek": (
            "With Apple's AI assistant absent from China, Huawei is using an agent-first operating system to "
            "turn sanctions-driven self-reliance into a lead."
        ),
        "key_insights": (
            "Huawei's HarmonyOS 7 reorganises the operating system around AI agents, arriving four days after "
            "Apple confirmed that Siri AI will not launch in China. Its assistant Xiaoyi now orchestrates more "
            "than 2,100 system capabilities and over 2,000 third-party agents on the openPangu model. With "
            "HarmonyOS already ahead of iOS in China's smartphone share, Huawei is well placed to set the terms "
            "for how agents work on Chinese devices."
        ),
        "body": """<p>Timing in the smartphone business is rarely accidental. Huawei unveiled HarmonyOS 7 just four days after Apple confirmed that its Siri AI features would not be launching in China. The contrast was hard to miss: one company unable to bring its flagship assistant to the world's largest smartphone market, the other redesigning its entire operating system around an assistant that can act on the user's behalf.</p>
<h2>From apps to agents</h2>
<p>Huawei describes HarmonyOS 7 as agent-native. Rather than treating the assistant as one more app sitting on top of the system, the operating system is organised so that an AI agent can reach into functions directly and chain them together. Xiaoyi, Huawei's assistant, has been rebuilt on that basis. The company says it can now drive more than 2,100 system capabilities and coordinate over 2,000 third-party AI agents, running on an upgraded version of Huawei's openPangu foundation model.</p>
<p>In practical terms, that changes the unit of interaction. A user states a goal; the assistant decides which system features and partner agents to call, and in what order. If it works reliably, the familiar grid of app icons becomes less central to how people get things done.</p>
<h2>Why sanctions became an advantage</h2>
<p>Huawei did not entirely choose this path. US restrictions cut it off from Google's mobile services and constrained its access to advanced components, forcing it to build its own operating system and model stack. That enforced independence now looks valuable:</p>
<ul>
<li>Huawei controls every layer, from model to operating system to much of the distribution, so it can integrate agents more deeply than a firm assembling parts from partners.</li>
<li>Its models are developed for, and hosted in, China, sidestepping the regulatory hurdles that have kept foreign assistants out.</li>
<li>HarmonyOS has already overtaken iOS in smartphone share in China, giving developers a strong reason to build agents for it.</li>
</ul>
<h3>Apple's constraint</h3>
<p>Apple's difficulty appears to be regulatory and commercial rather than technical. Generative AI services in China are widely understood to need official approval and, for foreign firms, a domestic partner, and Apple has not yet found a way to ship its full assistant experience there. Until it does, iPhone owners in China will have a visibly thinner AI layer than users elsewhere – and than Huawei's own customers.</p>
<h2>Open questions</h2>
<ul>
<li><strong>Reliability:</strong> orchestrating agents at this scale is hard, and early experiences will shape user trust.</li>
<li><strong>Developer economics:</strong> third parties will want clarity on how agent-driven traffic is ranked and whether it can be monetised.</li>
<li><strong>Export potential:</strong> an agent-native system that thrives at home may struggle abroad, where Huawei's services face their own restrictions.</li>
</ul>
<p>For now, the significance is mainly domestic. In China, the contest over who defines the AI interface on the phone has a clear frontrunner – and it is not the company that led the previous platform era.</p>""",
        "author": "hannah-okafor",
        "topics": ["devices-platforms", "geopolitics-regulation"],
        "days_ago": 9,
        "related": [
            "agent-platforms-app-store-model",
            "on-device-ai-phones-glasses",
        ],
    },
    # 4
    {
        "slug": "us-order-anthropic-models-compliance-lessons",
        "title": "The order to pull Anthropic's most powerful models is a warning for every AI compliance team",
        "dek": (
            "National-security controls can now reach a commercial model after launch. Providers and their "
            "customers need a plan for sudden withdrawal."
        ),
        "key_insights": (
            "A US export-control directive required Anthropic to disable Fable 5 and Mythos 5 on "
            "national-security grounds, citing a reported jailbreak whose significance the company disputes. "
            "The case shows that export controls now extend to access to deployed models, not only chips and "
            "weights. Compliance teams should treat the abrupt withdrawal of a model as a realistic scenario "
            "and plan for it."
        ),
        "body": """<p>Export controls on AI have so far concentrated on hardware and, more recently, on model weights. The directive that forced Anthropic to disable Fable 5 and Mythos 5 marks a further step: a government using national-security powers to restrict access to a model that was already live and serving customers. Compliance teams at AI providers and at the organisations that buy from them should study it closely.</p>
<h2>The government's case and the company's reply</h2>
<p>US officials grounded the order in national security, pointing to a reported jailbreak they said could unlock capabilities of concern. Anthropic chose to comply while contesting the reasoning. Its position is that the technique exposes only minor weaknesses that were already known, and that comparable models can be pushed to similar outputs without any bypass at all. Other Claude models were outside the scope of the directive and stayed available.</p>
<p>That disagreement matters. If the threshold for intervention is a jailbreak the developer regards as routine, the set of models potentially exposed to similar action is large.</p>
<h2>What changes for AI providers</h2>
<ul>
<li><strong>Release governance:</strong> pre-launch red-teaming and documentation may need to anticipate how a regulator, not just a customer, would judge a vulnerability.</li>
<li><strong>Precise off-switches:</strong> the ability to restrict access by user category, jurisdiction or model version, without taking everything down, becomes a compliance capability in its own right.</li>
<li><strong>Identity and eligibility:</strong> rules framed around nationality are hard to enforce through an API, which pushes providers towards stronger customer verification.</li>
<li><strong>Regulator engagement:</strong> a fast channel for contesting technical findings could shorten the gap between an order and its refinement.</li>
</ul>
<h2>What changes for customers</h2>
<p>Buyers of frontier models have tended to compare vendors on capability, price and data protection. Continuity under government action now belongs on that list. Sensible steps include:</p>
<ol>
<li>Mapping which products and workflows depend on a single model version.</li>
<li>Keeping tested fallbacks – an earlier model from the same vendor, a rival API or a self-hosted open-weight model – ready to switch in.</li>
<li>Reviewing contracts for notice, suspension and refund terms that cover regulatory withdrawals.</li>
<li>Recording the export-control status of each model in the AI inventory that many governance frameworks already require.</li>
</ol>
<h3>The national-security calculus</h3>
<p>Governments have legitimate reasons to worry about models that could meaningfully help someone cause serious harm, and the power to act quickly is part of any credible control regime. The difficulty is transparency. Without published criteria, developers cannot easily design for compliance and customers cannot judge how likely a repeat is. A clearer framework – setting out what kind of finding triggers action and how it can be challenged – would serve security and commerce alike.</p>
<p>Until that framework exists, the prudent assumption is that any frontier model could be restricted with little warning, and that resilience has to be designed in from the start rather than bolted on afterwards.</p>""",
        "author": "tomas-whitfield",
        "topics": ["geopolitics-regulation"],
        "days_ago": 7,
        "related": [
            "anthropic-export-order-ai-sovereignty-backlash",
        ],
    },
    # 5
    {
        "slug": "open-weight-models-enterprise-economics",
        "title": "Open-weight models are free to license but not to run, and enterprises are doing the maths",
        "dek": (
            "Zero licence fees make open-weight models tempting, but the real bill lands in hosting, talent "
            "and governance."
        ),
        "key_insights": (
            "Open-weight models remove licence fees but shift cost into infrastructure, engineering and risk "
            "management, so their economics depend heavily on volume and in-house skills. For high-volume, "
            "well-defined tasks, a tuned smaller open model can undercut paid APIs; for low-volume or "
            "fast-changing needs, managed services often remain cheaper. Most large organisations are likely "
            "to end up running a mix of both."
        ),
        "body": """<p>The arrival of capable open-weight models has rewritten the opening line of many enterprise AI business cases. Where teams once assumed they would pay a provider per token, they can now download a model and run it themselves. Yet a zero licence fee is not the same as a low total cost, and organisations that have tried both routes are finding that the answer depends heavily on circumstances.</p>
<h2>Where the money actually goes</h2>
<p>Self-hosting moves spending rather than removing it. The main lines in a typical budget are:</p>
<ul>
<li><strong>Compute:</strong> GPUs bought or rented, plus headroom for peak demand. Idle capacity is the silent cost of running your own stack.</li>
<li><strong>Engineering:</strong> people who can fine-tune, evaluate, deploy and monitor models. Those skills remain scarce and expensive.</li>
<li><strong>Governance:</strong> security testing, licence review, documentation and the controls that regulators and auditors increasingly expect.</li>
<li><strong>Upkeep:</strong> models date quickly, and each upgrade brings a fresh round of evaluation and integration work.</li>
</ul>
<h2>When open weights tend to win</h2>
<p>The case is strongest where workloads are large, steady and narrowly defined – classifying documents, extracting fields, routing support tickets. Here a smaller model, distilled or fine-tuned for the task, can often approach a general-purpose frontier model on accuracy while costing far less per request. Efficient architectures such as Mixture-of-Experts, and licences that permit training on a larger model's outputs, have made this route more accessible.</p>
<p>Control is the other driver. Firms with strict data-residency requirements, or that need certainty that a model will not change or disappear without notice, value the ability to pin a version and host it where they choose. Recent government action against commercial models has sharpened that concern.</p>
<h2>When paid APIs still make sense</h2>
<p>For exploratory projects, low or unpredictable volumes, and tasks that benefit from the latest reasoning ability, managed services usually come out ahead. The provider absorbs the infrastructure risk and the customer pays only for what it uses. Teams without deep machine-learning expertise may also find that the hidden costs of self-hosting outweigh any savings.</p>
<h3>A portfolio, not a choice</h3>
<p>In practice, many larger organisations appear to be settling on a layered approach:</p>
<ol>
<li>A frontier API for complex, lower-volume reasoning tasks.</li>
<li>Tuned open-weight models for high-volume, repetitive work.</li>
<li>A routing layer that sends each request to the cheapest model able to handle it well.</li>
</ol>
<p>This structure also hedges vendor risk: if one supplier raises prices or loses access, workloads can be shifted elsewhere. The price is added complexity in testing and operations.</p>
<h2>Questions for the business case</h2>
<ul>
<li>What is the expected request volume over three years, and how variable is it?</li>
<li>Does the organisation have, or can it hire, the skills to run models in production?</li>
<li>What would it cost if the chosen model were withdrawn or its licence terms changed?</li>
</ul>
<p>Open weights have given buyers genuine leverage. Using it well means treating models as infrastructure to be managed, not as software that arrives finished.</p>""",
        "author": "priya-ramanathan",
        "topics": ["ai-strategy", "markets-capital"],
        "days_ago": 12,
        "related": [
            "meta-free-llama-default-ai-layer",
            "eu-ai-sovereignty-procurement",
        ],
    },
    # 6
    {
        "slug": "ai-data-centre-capex-power-constraint",
        "title": "The race to spend on AI data centres is becoming a race for electricity",
        "dek": (
            "Hyperscalers can raise capital far faster than grids can add capacity, making power the binding "
            "constraint on AI growth."
        ),
        "key_insights": (
            "Large technology companies are committing unprecedented sums to AI data centres, but access to "
            "reliable electricity increasingly decides where and how fast that money can be deployed. Grid "
            "connection queues, local opposition and the need for round-the-clock supply are pushing operators "
            "towards long-term energy deals and new siting strategies. Investors should treat power access as "
            "a core variable when assessing AI spending plans."
        ),
        "body": """<p>The headline numbers for AI infrastructure spending keep climbing. Meta alone has lifted its capital-expenditure guidance to about US$145bn, and other large technology groups have signalled similarly ambitious plans. Yet money is proving to be the easier input to secure. The harder one is electricity, and its availability is starting to dictate the pace and geography of the AI build-out.</p>
<h2>Why power has become the bottleneck</h2>
<p>AI training and inference clusters draw far more power per rack than conventional cloud workloads, and they need it continuously. Several constraints are compounding:</p>
<ul>
<li><strong>Grid connections:</strong> in many regions, new large loads face long waits as utilities work through queues and upgrade transmission.</li>
<li><strong>Firm supply:</strong> data centres need round-the-clock power, which intermittent renewables cannot provide on their own without storage or backup.</li>
<li><strong>Local politics:</strong> communities and regulators are scrutinising the effect of large facilities on household bills, water use and land.</li>
<li><strong>Equipment lead times:</strong> transformers, switchgear and turbines have their own supply chains, and they are under strain.</li>
</ul>
<table><tbody><tr><th colspan="1" rowspan="1"><p>Constraint</p></th><th colspan="1" rowspan="1"><p>What it holds up</p></th><th colspan="1" rowspan="1"><p>Who decides</p></th></tr><tr><td colspan="1" rowspan="1"><p>Grid connection</p></td><td colspan="1" rowspan="1"><p>Energising a finished campus</p></td><td colspan="1" rowspan="1"><p>Utilities and grid operators</p></td></tr><tr><td colspan="1" rowspan="1"><p>Firm supply</p></td><td colspan="1" rowspan="1"><p>Round-the-clock operation</p></td><td colspan="1" rowspan="1"><p>Generators, storage, purchase agreements</p></td></tr><tr><td colspan="1" rowspan="1"><p>Local consent</p></td><td colspan="1" rowspan="1"><p>Choosing and building a site</p></td><td colspan="1" rowspan="1"><p>Planning authorities and communities</p></td></tr><tr><td colspan="1" rowspan="1"><p>Equipment</p></td><td colspan="1" rowspan="1"><p>Substations and on-site generation</p></td><td colspan="1" rowspan="1"><p>Transformer and turbine makers</p></td></tr></tbody></table>
<h2>How operators are responding</h2>
<p>The biggest spenders are behaving more and more like energy companies. Common strategies include signing long-term purchase agreements for new generation, locating campuses beside existing power plants, investing in on-site generation and exploring nuclear options – from extending the life of existing reactors to backing small modular designs that remain largely unproven at commercial scale. Some are also designing facilities that can flex their demand when the grid is stressed, in exchange for a quicker connection.</p>
<h3>Efficiency as a partial offset</h3>
<p>Model design can help. Architectures that activate only part of the network per request, smaller task-specific models and better chips all reduce the energy used per query. History suggests, however, that efficiency gains tend to be absorbed by rising usage rather than cutting total demand.</p>
<h2>What this means for capital markets</h2>
<p>For investors, the power question changes how AI spending plans should be read:</p>
<ol>
<li><strong>Announced capex is not deployed capacity.</strong> Timelines depend on energisation dates that companies do not fully control.</li>
<li><strong>Energy becomes a competitive moat.</strong> Firms that secured sites and supply early may be able to add capacity when rivals cannot.</li>
<li><strong>Adjacent sectors benefit.</strong> Utilities, grid-equipment makers and power developers are becoming part of the AI investment story.</li>
<li><strong>Returns may stretch.</strong> If expensive assets sit partly idle while waiting for power, the payback period lengthens.</li>
</ol>
<div class="callout"><p><strong>What to watch:</strong> energisation dates. Where a company gives them beside its capex guidance, the plan can be read as capacity; where it does not, treat the figure as an intention.</p></div>
<h2>Policy pressure ahead</h2>
<p>Governments are caught between courting AI investment and shielding consumers from higher bills. Expect more argument over who pays for grid upgrades, whether data centres should supply their own generation, and how connection requests should be prioritised. Jurisdictions that settle those questions quickly may attract a disproportionate share of new capacity.</p>
<p>The AI build-out will continue, but its shape will be set as much by substations and power contracts as by chips and models.</p>""",
        "author": "hannah-okafor",
        "topics": ["markets-capital"],
        "days_ago": 18,
        "related": [],
    },
    # 7
    {
        "slug": "eu-ai-sovereignty-procurement",
        "title": "European buyers are starting to write AI sovereignty into their procurement rules",
        "dek": (
            "Public bodies and regulated firms in Europe are turning sovereignty from a slogan into contract "
            "terms on hosting, control and continuity."
        ),
        "key_insights": (
            "European public-sector and regulated buyers increasingly express AI sovereignty as concrete "
            "procurement requirements: where models and data are hosted, who can compel access or withdrawal, "
            "and how quickly a service can be replaced. These criteria are likely to favour European providers, "
            "open-weight deployments and locally operated arrangements, though they risk raising costs and "
            "narrowing choice if drafted too rigidly."
        ),
        "body": """<p>Sovereignty has been a fixture of European technology policy speeches for years. What is changing is where the word appears. Increasingly, it shows up in tender documents, framework agreements and vendor questionnaires – the places where public money and regulated industries actually make choices. Recent proof that a foreign government can restrict access to a commercial AI model has accelerated the shift.</p>
<h2>From principle to specification</h2>
<p>A procurement rule cannot simply demand "sovereign AI". Buyers have to translate the idea into requirements that can be tested. The criteria emerging in European tenders tend to fall into a few groups:</p>
<ul>
<li><strong>Location:</strong> where the model runs, where data is processed and where logs and fine-tuning data are stored.</li>
<li><strong>Jurisdiction:</strong> whether a supplier is subject to non-EU laws that could compel disclosure of data or withdrawal of service.</li>
<li><strong>Operational control:</strong> who holds administrative access, encryption keys and the ability to switch a service off.</li>
<li><strong>Portability:</strong> whether the buyer can move workloads to another provider, or run the model itself, without prohibitive cost.</li>
<li><strong>Continuity:</strong> notice periods and fallback obligations if a model is withdrawn for legal or regulatory reasons.</li>
</ul>
<h2>Who stands to gain</h2>
<p>Requirements like these favour some suppliers over others. European model developers and cloud operators start with a natural advantage on jurisdiction. Open-weight models, which can be hosted on infrastructure the buyer controls, score well on portability and continuity. US hyperscalers are responding with services run by local entities or partners and designed to ring-fence European customers – though whether such arrangements fully insulate against foreign legal orders remains contested.</p>
<h3>The interaction with the AI Act</h3>
<p>The EU AI Act adds a parallel layer of obligations around transparency, risk management and documentation. Procurement teams are likely to bundle these with sovereignty criteria, producing assessments that weigh both a model's compliance profile and its exposure to outside control. Suppliers able to evidence both will have an edge.</p>
<h2>The risks of getting it wrong</h2>
<p>Sovereignty requirements carry trade-offs that buyers should confront honestly:</p>
<ol>
<li><strong>Capability gaps:</strong> the most capable models may not meet strict criteria, leaving public services with weaker tools.</li>
<li><strong>Cost:</strong> local hosting and dedicated operations are usually dearer than shared global infrastructure.</li>
<li><strong>Market narrowing:</strong> overly prescriptive rules could entrench a few large incumbents rather than nurture new entrants.</li>
<li><strong>Fragmentation:</strong> if each member state defines sovereignty differently, suppliers face a patchwork that raises compliance costs for everyone.</li>
</ol>
<h2>A pragmatic path</h2>
<p>The most workable approach appears to be tiered: strict requirements for sensitive functions such as defence, justice and critical infrastructure, and lighter ones – focused on portability and exit plans – for general productivity uses. That lets buyers use leading models where the risk is low while building resilience where it matters most.</p>
<p>For vendors, the message is plain. In Europe, technical performance alone no longer wins public and regulated business; credible answers on control and continuity are becoming part of the product.</p>""",
        "author": "tomas-whitfield",
        "topics": ["geopolitics-regulation"],
        "days_ago": 22,
        "related": [
            "anthropic-export-order-ai-sovereignty-backlash",
            "open-weight-models-enterprise-economics",
        ],
    },
    # 8
    {
        "slug": "on-device-ai-phones-glasses",
        "title": "Small models on phones and glasses are moving everyday AI work out of the cloud",
        "dek": (
            "Compact models running on personal devices promise speed, privacy and lower serving costs, but "
            "they come with hard limits."
        ),
        "key_insights": (
            "Compact language and vision models now run on phones and smart glasses, letting device makers "
            "handle common tasks locally instead of in the data centre. That can improve latency, privacy and "
            "cost, and it gives hardware companies a stronger role in the AI stack. Battery, memory and "
            "capability remain real limits, so the likely outcome is a hybrid split in which devices handle "
            "routine requests and pass harder ones to the cloud."
        ),
        "body": """<p>Most attention in AI goes to the largest models and the data centres that house them. A quieter shift is happening at the other end of the scale. Models with a few billion parameters or fewer – such as the 1B and 3B variants Meta released alongside Llama 3.2 – can now run directly on phones and other personal devices. As they improve, a growing share of everyday AI work may never leave the user's hand, or face.</p>
<h2>Why run AI on the device</h2>
<ul>
<li><strong>Latency:</strong> local processing avoids a network round trip, which matters for voice, translation and camera-based features.</li>
<li><strong>Privacy:</strong> personal data such as messages, photos and health signals can be processed without being sent to a server.</li>
<li><strong>Cost:</strong> every request handled on the device is one the provider does not have to serve from expensive cloud capacity.</li>
<li><strong>Availability:</strong> features keep working with poor or no connectivity.</li>
</ul>
<h2>Glasses as the test case</h2>
<p>Smart glasses illustrate both the promise and the constraints. A camera and microphone at eye level make an assistant far more useful: it can see what the wearer sees and respond in context. Meta's Ray-Ban range and its business-oriented "Wearables for Work" tier show that large platforms regard glasses as a serious channel. But glasses have tiny batteries, little room for cooling and limited memory. In practice, they tend to lean on a paired phone or the cloud for heavier tasks, with only lightweight processing in the frame itself.</p>
<h3>Phones as the hub</h3>
<p>That makes the smartphone the natural coordinating device. Modern handsets include dedicated neural processors, and operating-system makers are building frameworks that let apps call on local models. Huawei's agent-centred HarmonyOS 7 is one example of a platform reorganising itself around an assistant that orchestrates system functions directly.</p>
<h2>The hard limits</h2>
<p>Small models are not a free lunch. They know less, reason less reliably and cope poorly with long contexts compared with frontier systems. Running them continuously drains batteries, and memory on mid-range phones is tight. Updates must also be pushed to millions of devices, which complicates both improvements and safety fixes.</p>
<h2>The likely architecture: hybrid by default</h2>
<p>The emerging pattern splits work across tiers:</p>
<ol>
<li>Wake words, transcription, notification summaries and simple commands handled on the device.</li>
<li>Personal context – calendar, contacts, recent activity – kept local and used to shape requests.</li>
<li>Complex reasoning, long documents and up-to-date knowledge escalated to cloud models, ideally with the user's awareness.</li>
</ol>
<h2>Strategic implications</h2>
<p>The shift hands hardware and operating-system owners more leverage. Whoever controls the device decides which model runs locally, what data it can see and when to hand off to the cloud – and to whose cloud. For model providers without their own devices, partnerships with handset makers become more important. For enterprises, on-device AI opens options for field workers and sensitive data, but also adds a new category of endpoint to secure and manage.</p>
<p>The cloud will remain essential for the hardest problems. But the default location for routine AI is drifting towards the edge, and that will reshape who captures the value.</p>""",
        "author": "hannah-okafor",
        "topics": ["devices-platforms", "ai-strategy"],
        "days_ago": 27,
        "related": [
            "huawei-harmonyos-7-agent-native-china",
        ],
    },
    # 9
    {
        "slug": "agent-platforms-app-store-model",
        "title": "AI agents could unbundle the app store, or simply become its next toll booth",
        "dek": (
            "As assistants start acting across apps on users' behalf, the fight over discovery, payments and "
            "fees is moving to a new layer."
        ),
        "key_insights": (
            "AI agents that complete tasks across services threaten the app store model by making individual "
            "apps less visible to users. Platform owners are responding by building agent frameworks into their "
            "operating systems, which could let them rebuild gatekeeping and fees at the agent layer. "
            "Developers, regulators and investors should watch closely how agent ranking, payments and data "
            "access come to be governed."
        ),
        "body": """<p>For well over a decade, the app store has been the main gateway between smartphone users and the services they rely on. Platform owners decide what is listed, how it is ranked and, often, what share of revenue they take. AI agents – software that can carry out multi-step tasks across different services on a user's instructions – challenge that arrangement. If a user simply asks an assistant to book a table or reorder groceries, the question of which app icon they tap starts to fade.</p>
<h2>How agents change the interface</h2>
<p>In an app-centric world, the user picks the service. In an agent-centric world, the assistant often picks, or at least proposes, on the user's behalf. That moves power in several ways:</p>
<ul>
<li><strong>Discovery</strong> shifts from storefront rankings and search ads to whatever logic the agent uses to choose a provider.</li>
<li><strong>Brand</strong> matters less when the user never sees the provider's interface.</li>
<li><strong>Data</strong> about user intent flows first to the agent, not to the app.</li>
<li><strong>Payments</strong> may be initiated by the agent, raising questions about who processes them and who takes a cut.</li>
</ul>
<h2>Two possible futures</h2>
<h3>Unbundling</h3>
<p>In the optimistic version, agents interoperate through open protocols, any service can expose its functions to any assistant, and competition happens on quality and price. App stores lose some of their leverage, and smaller developers reach users without paying a commission on every transaction.</p>
<h3>A new toll booth</h3>
<p>In the version that looks more likely in the near term, the companies that own operating systems build agents deep into their platforms and set the rules for third parties. Huawei's HarmonyOS 7, in which the system assistant coordinates a large roster of third-party agents, hints at this model: the platform owner becomes the orchestrator. Whoever orchestrates can also rank, certify and charge. Gatekeeping does not disappear; it moves up a layer.</p>
<h2>What participants should consider</h2>
<ol>
<li><strong>Developers</strong> should expose well-documented functions that agents can call, while tracking how much of the customer relationship they give up in the process.</li>
<li><strong>Platform owners</strong> face a trade-off between open ecosystems that attract more agents and closed ones that protect revenue.</li>
<li><strong>Regulators</strong>, already scrutinising app store conduct in several jurisdictions, are likely to extend that attention to agent ranking and self-preferencing.</li>
<li><strong>Investors</strong> should ask how app-store revenue assumptions hold up if a growing share of transactions is mediated by assistants.</li>
</ol>
<h2>The business model question</h2>
<p>Nobody has yet settled how agent-mediated commerce will be paid for. Candidates include per-action fees, revenue shares on completed transactions, paid placement within agent recommendations and subscription bundles. Each creates different incentives for honesty in the agent's choices, which is where consumer trust – and regulatory attention – will ultimately focus.</p>
<p>The app store era was defined by a grid of icons. The next may be defined by a single conversational entry point. Who controls that entry point, and on what terms, is one of the most valuable open questions in consumer technology.</p>""",
        "author": "priya-ramanathan",
        "topics": ["devices-platforms", "markets-capital"],
        "days_ago": 33,
        "related": [],
    },
]
